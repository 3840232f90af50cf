//! The commands on a case journal: `init`, `apply`, `status`, `packet`, `verify`.

use crate::*;

pub(crate) fn init(
    workflow: &Path,
    trust: &Path,
    journal: &Path,
    token: &str,
    at: Option<&str>,
) -> Result<(), Failure> {
    let workflow = Arc::new(load_workflow(workflow)?);
    let trust = Arc::new(load_trust(trust)?);
    let token = read_text(token, "token")?;
    let clock = clock(at)?;
    let store =
        CaseStore::init(journal, workflow, trust, token.trim(), clock).map_err(store_failure)?;
    let case = store.case();
    print_json(&serde_json::json!({
        "case_id": case.id(),
        "seq": 0,
        "state": case.state(),
        "path": case.path(),
        "recommended_lane": case.recommended_lane(),
        "head": store.head(),
    }))
}

/// `--at T` supplies the time of record; without it the system clock is the writer's clock.
pub(crate) fn clock(at: Option<&str>) -> Result<Clock, Failure> {
    match at {
        None => Ok(Clock::System),
        Some(text) => authority_lane::time::parse(text)
            .map(Clock::Supplied)
            .map_err(|e| Failure::input("usage", format!("--at: {e}"))),
    }
}

pub(crate) fn apply(
    journal: &Path,
    pins: &Pins,
    at: Option<&str>,
    lock_timeout: std::time::Duration,
    input: Option<&str>,
) -> Result<(), Failure> {
    let (workflow, trust) = load_pins(pins)?;
    let clock = clock(at)?;
    let (mut store, _torn) =
        CaseStore::open(journal, workflow, trust, clock, lock_timeout).map_err(store_failure)?;
    let reader: Box<dyn Read> = match input {
        None | Some("-") => Box::new(std::io::stdin()),
        Some(path) => Box::new(std::fs::File::open(path).map_err(|e| {
            Failure::input("invalid_input", format!("cannot read commands {path}: {e}"))
        })?),
    };
    // Group commit: decide every line already read, append them with one fsync, then
    // acknowledge them together; never wait for more input while holding unacknowledged lines.
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    let mut batch = Batch::default();
    let mut line = String::new();
    let mut line_no = 0usize;
    loop {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .map_err(|e| Failure::input("invalid_input", format!("cannot read commands: {e}")))?;
        let eof = n == 0;
        if !eof {
            line_no += 1;
            let text = line.trim();
            if !text.is_empty() {
                match CaseCommand::from_json(text) {
                    Ok(cmd) => {
                        batch.commands.push(cmd);
                        batch.lines.push(line_no);
                    }
                    Err(rejection) => {
                        commit(&mut store, &mut batch)?;
                        return Err(rejected(rejection, line_no));
                    }
                }
            }
        }
        if eof || reader.buffer().is_empty() || batch.commands.len() >= 4096 {
            commit(&mut store, &mut batch)?;
        }
        if eof {
            return Ok(());
        }
    }
}

pub(crate) fn rejected(r: Rejection, line: usize) -> Failure {
    Failure::new(
        r.code(),
        format!("line {line}: {r} (nothing was written for it; later lines were not read)"),
        EXIT_REJECTED,
    )
}

/// Commands read but not yet committed, with their input line numbers.
#[derive(Default)]
pub(crate) struct Batch {
    commands: Vec<CaseCommand>,
    lines: Vec<usize>,
}

/// Submits a batch, prints one result line per accepted command (after the fsync), and turns a
/// rejection into the failure that stops `apply`.
pub(crate) fn commit(store: &mut CaseStore<FileJournal>, batch: &mut Batch) -> Result<(), Failure> {
    if batch.commands.is_empty() {
        return Ok(());
    }
    let submission = store.submit(&batch.commands).map_err(store_failure)?;
    let accepted = submission.accepted;
    let rejection = submission.rejected;
    let mut text = String::new();
    for a in &accepted {
        let line = serde_json::json!({"seq": a.seq, "head": a.head, "events": a.events});
        text.push_str(&line.to_string());
        text.push('\n');
    }
    // Durable before it is acknowledged; a reader that went away just stops reading.
    emit(&text)?;
    let lines = std::mem::take(&mut batch.lines);
    batch.commands.clear();
    match rejection {
        Some((index, r)) => Err(rejected(r, lines.get(index).copied().unwrap_or(0))),
        None => Ok(()),
    }
}

/// Parses `--expect-head SEQ:HASH`.
pub(crate) fn expect_head(text: Option<&str>) -> Result<Option<JournalRef>, Failure> {
    let Some(text) = text else {
        return Ok(None);
    };
    let bad = |why: String| {
        Failure::input(
            "usage",
            format!(
                "--expect-head {text:?}: {why}; expected SEQ:HASH, e.g. 12:sha256:<64 hex> (an apply acknowledgement's seq and head)"
            ),
        )
    };
    let (seq, head) = text
        .split_once(':')
        .ok_or_else(|| bad("no `:` after the seq".into()))?;
    let seq = seq
        .parse::<u64>()
        .map_err(|e| bad(format!("seq is not a number: {e}")))?;
    let head = head.parse().map_err(|e| bad(format!("{e}")))?;
    Ok(Some(JournalRef { seq, head }))
}

/// Replays the journal; with `required`, the relying party must pass its own workflow and
/// trust file (`anchor_required`, exit 2, otherwise).
pub(crate) fn read_case(
    journal: &Path,
    pins: &Pins,
    required: Option<&str>,
    expect: Option<&str>,
) -> Result<Replay, Failure> {
    if let Some(command) = required
        && (pins.workflow.is_none() || pins.trust.is_none())
    {
        return Err(Failure::input(
            "anchor_required",
            format!(
                "{command} authenticates the journal against the workflow and trust file you hold: pass --workflow FILE and --trust FILE (the copies embedded in the journal can be rewritten by anyone who can write it)"
            ),
        ));
    }
    let expect_head = expect_head(expect)?;
    let (workflow, trust) = load_pins(pins)?;
    replay_file(
        journal,
        Anchors {
            workflow,
            trust,
            expect_head,
        },
    )
    .map_err(store_failure)
}

pub(crate) fn status(journal: &Path, pins: &Pins) -> Result<(), Failure> {
    let replay = read_case(journal, pins, None, None)?;
    print_json(&JournalStatus::of(&replay))
}

pub(crate) fn packet(
    journal: &Path,
    draft: bool,
    channel: Option<&str>,
    format: PacketFormat,
    pins: &Pins,
    expect: Option<&str>,
) -> Result<(), Failure> {
    let required = (!draft).then_some("packet (the accepted packet)");
    let replay = read_case(journal, pins, required, expect)?;
    let case = &replay.case;
    let channel_id = ChannelId::from(channel.unwrap_or("security-trust-review"));
    let channel = case.workflow().channel(&channel_id).ok_or_else(|| {
        Failure::input(
            "usage",
            format!(
                "unknown channel `{channel_id}`; the workflow defines {:?}",
                case.workflow()
                    .spec()
                    .channels
                    .iter()
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>()
            ),
        )
    })?;
    let (view, title) = if draft {
        let d = case.draft().ok_or_else(|| {
            Failure::new("not_ready", format!(
                "no draft: the case is in {}; {}",
                case.path(),
                if case.state().is_closed() {
                    "it was closed without one"
                } else {
                    "required facts are missing or requested evidence has not arrived (status lists them)"
                }
            ), EXIT_NOT_READY)
        })?;
        (
            d.view(channel),
            format!(
                "Draft recommendation packet (revision {})",
                d.content.revision
            ),
        )
    } else {
        let p = replay.packet().ok_or_else(|| {
            Failure::new("not_ready", format!("no recommendation packet: the case is in {}; a packet exists only in closed/accepted (use --draft for the current draft)", case.path()), EXIT_NOT_READY)
        })?;
        (p.view(channel), "Recommendation packet".to_owned())
    };
    match format {
        PacketFormat::Json => print_json(&view.to_json()),
        PacketFormat::Markdown => emit(&render::packet_markdown(&view, &title)),
    }
}

pub(crate) fn verify(journal: &Path, pins: &Pins, expect: Option<&str>) -> Result<(), Failure> {
    let replay = read_case(journal, pins, Some("verify"), expect)?;
    let case = &replay.case;
    // Building a draft digests the whole lineage: build it once. An accepted packet's digest
    // is its draft's digest.
    let packet_digest = replay.packet().map(|p| p.packet_digest().clone());
    let draft_digest = packet_digest.clone().or_else(|| case.draft_digest());
    print_json(&serde_json::json!({
        "ok": true,
        "records": replay.records,
        "seq": replay.head.seq,
        "head": replay.head.head,
        "supplied_clock_records": replay.supplied_clock,
        "torn_tail": replay.torn_tail.map(|t| serde_json::json!({"offset": t.offset, "len": t.len})),
        "unterminated": replay.unterminated,
        "state": case.state(),
        "path": case.path(),
        "draft_digest": draft_digest,
        "packet_digest": packet_digest,
        "workflow_digest": case.genesis().workflow_digest,
        "trust_digest": case.genesis().trust_digest,
    }))
}
