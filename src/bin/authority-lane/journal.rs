//! The commands on a case journal: `init`, `apply`, `status`, `packet`, `verify`, `export`,
//! on a journal file or a case in a PostgreSQL store.

use crate::*;
use authority_lane::ErrorCode;
use authority_lane::case::Leaf;
use authority_lane::ids::CaseId;
#[cfg(feature = "postgres")]
use authority_lane::journal::PgBackend;

/// Where a command finds its case.
pub(crate) enum Place<'a> {
    File(&'a Path),
    #[cfg(feature = "postgres")]
    Postgres {
        url: &'a str,
        case: Option<&'a str>,
    },
}

impl Location {
    /// The case asked for (`--case ID`): record 0 must declare it (DESIGN §12.6).
    pub(crate) fn expected_case(&self) -> Option<CaseId> {
        self.case.as_deref().map(CaseId::from)
    }

    pub(crate) fn place(&self) -> Result<Place<'_>, Failure> {
        match (&self.journal, &self.store) {
            (Some(path), None) => Ok(Place::File(path)),
            (None, Some(url)) => store_place(url, self.case.as_deref()),
            _ => Err(Failure::new(
                ErrorCode::Usage,
                "give either --journal PATH or --store URL --case ID",
            )),
        }
    }
}

/// A `--store URL` is checked before anything is opened: a malformed URL or schema is a usage
/// error, and neither the URL's password nor, for another scheme, anything after the scheme is
/// echoed (DESIGN §12.10).
#[cfg(feature = "postgres")]
fn store_place<'a>(url: &'a str, case: Option<&'a str>) -> Result<Place<'a>, Failure> {
    url.parse::<authority_lane::journal::PgUrl>()
        .map_err(|e| Failure::new(ErrorCode::Usage, format!("--store: {e}")))?;
    Ok(Place::Postgres { url, case })
}

#[cfg(not(feature = "postgres"))]
fn store_place<'a>(_url: &'a str, _case: Option<&'a str>) -> Result<Place<'a>, Failure> {
    Err(Failure::new(
        ErrorCode::Usage,
        "--store: this build has no PostgreSQL support (build with the `postgres` feature)",
    ))
}

/// A `--store URL` as messages show it: without its password.
#[cfg(feature = "postgres")]
pub(crate) fn shown(url: &str) -> String {
    url.parse::<authority_lane::journal::PgUrl>()
        .map_or_else(|_| "<store URL>".to_owned(), |u| u.to_string())
}

/// Connects to a PostgreSQL store, bound to `case` if given.
#[cfg(feature = "postgres")]
pub(crate) fn connect(url: &str, case: Option<&str>) -> Result<PgBackend, Failure> {
    let backend = PgBackend::connect(url).map_err(|e| store_failure(e.into()))?;
    Ok(match case {
        Some(id) => backend.case(id),
        None => backend,
    })
}

/// `store migrate --store URL`: creates the journal table (and its schema) unless they are
/// there, and says so. Nothing else but `init` issues DDL.
pub(crate) fn store_migrate(url: &str) -> Result<(), Failure> {
    match store_place(url, None)? {
        #[cfg(feature = "postgres")]
        Place::Postgres { url, .. } => {
            let mut backend = connect(url, None)?;
            let done = backend.migrate().map_err(|e| store_failure(e.into()))?;
            print_json(&output::MigrateOutput {
                migrated: true,
                schema: done.schema.to_string(),
                table: done.table.to_owned(),
                created: done.created,
            })
        }
        Place::File(_) => Err(Failure::new(
            ErrorCode::Usage,
            "store migrate takes --store URL",
        )),
    }
}

/// A case id is required to open an existing case in a store.
#[cfg(feature = "postgres")]
fn required_case(case: Option<&str>) -> Result<&str, Failure> {
    case.ok_or_else(|| {
        Failure::new(
            ErrorCode::Usage,
            "--store needs --case ID (the case's id, the declaration's `sub`)",
        )
    })
}

pub(crate) fn init(
    workflow: &Path,
    trust: &Path,
    location: &Location,
    token: &str,
    at: Option<&str>,
) -> Result<(), Failure> {
    let place = location.place()?;
    let workflow = Arc::new(load_workflow(workflow)?);
    let trust = Arc::new(load_trust(trust)?);
    let token = read_text(token, "token")?;
    let clock = clock(at)?;
    match place {
        Place::File(path) => {
            if let Some(expected) = location.expected_case() {
                declared_case_is(token.trim(), &expected)?;
            }
            let store = CaseStore::create_file(path, workflow, trust, token.trim(), clock)
                .map_err(store_failure)?;
            print_init(&store)
        }
        #[cfg(feature = "postgres")]
        Place::Postgres { url, case } => {
            let backend = connect(url, case)?;
            let store = CaseStore::create(backend, workflow, trust, token.trim(), clock)
                .map_err(store_failure)?;
            print_init(&store)
        }
    }
}

/// `init --journal PATH --case ID`: the declaration must open case ID, checked before the
/// journal is created (the token itself is verified by `init` as always).
fn declared_case_is(token: &str, expected: &CaseId) -> Result<(), Failure> {
    use base64::Engine;
    let sub = token
        .split('.')
        .nth(1)
        .and_then(|claims| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(claims)
                .ok()
        })
        .and_then(|claims| serde_json::from_slice::<serde_json::Value>(&claims).ok())
        .and_then(|claims| claims.get("sub")?.as_str().map(CaseId::from));
    match sub {
        Some(found) if found != *expected => Err(store_failure(StoreError::CaseMismatch {
            expected: expected.clone(),
            found,
        })),
        // A token without a readable `sub` is refused by `init` with its own code.
        _ => Ok(()),
    }
}

fn print_init<B: Backend>(store: &CaseStore<B>) -> Result<(), Failure> {
    let case = store.case();
    print_json(&output::InitOutput {
        case_id: case.id().clone(),
        seq: 0,
        state: case.state(),
        path: case.path(),
        recommended_lane: case.recommended_lane().clone(),
        head: Some(store.head().clone()),
    })
}

/// `--at T` supplies the time of record; without it the system clock is the writer's clock.
pub(crate) fn clock(at: Option<&str>) -> Result<Clock, Failure> {
    match at {
        None => Ok(Clock::System),
        Some(text) => authority_lane::time::parse(text)
            .map(Clock::Supplied)
            .map_err(|e| Failure::new(ErrorCode::Usage, format!("--at: {e}"))),
    }
}

pub(crate) fn apply(
    location: &Location,
    pins: &Pins,
    at: Option<&str>,
    lock_timeout: std::time::Duration,
    input: Option<&str>,
) -> Result<(), Failure> {
    let place = location.place()?;
    let (workflow, trust) = load_pins(pins)?;
    let clock = clock(at)?;
    let anchors = Anchors {
        workflow,
        trust,
        expect_head: None,
        case: location.expected_case(),
    };
    match place {
        Place::File(path) => {
            let (mut store, _torn, _opened) =
                CaseStore::open_file(path, anchors, clock, lock_timeout).map_err(store_failure)?;
            let applied = apply_to(&mut store, input);
            // A cache for the next command: a failure to write it loses nothing.
            let _ = store.save_snapshot();
            applied
        }
        #[cfg(feature = "postgres")]
        Place::Postgres { url, case } => {
            let backend = connect(url, Some(required_case(case)?))?;
            let mut store = CaseStore::open(backend, anchors, clock).map_err(store_failure)?;
            apply_to(&mut store, input)
        }
    }
}

/// Streams commands from `input` into the case, a group commit at a time.
fn apply_to<B: Backend>(store: &mut CaseStore<B>, input: Option<&str>) -> Result<(), Failure> {
    let reader: Box<dyn Read> = match input {
        None | Some("-") => Box::new(std::io::stdin()),
        Some(path) => Box::new(
            std::fs::File::open(path)
                .map_err(|e| unreadable(&format!("commands file {path}"), &e))?,
        ),
    };
    // Group commit: decide every line already read, append them with one fsync, then
    // acknowledge them together; never wait for more input while holding unacknowledged lines.
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    let mut batch = Batch::default();
    let mut line = Vec::new();
    let mut line_no = 0usize;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| unreadable("the commands", &e))?;
        let eof = n == 0;
        if !eof {
            line_no += 1;
            // A line that is not UTF-8 is a refused line like any other: the lines before it
            // are applied (and acknowledged), it and the lines after it are not.
            let Ok(text) = std::str::from_utf8(&line) else {
                commit(store, &mut batch)?;
                return Err(rejected(not_utf8(&line), line_no));
            };
            let text = text.trim();
            if !text.is_empty() {
                match CaseCommand::from_json(text) {
                    Ok(cmd) => {
                        batch.commands.push(cmd);
                        batch.lines.push(line_no);
                    }
                    Err(rejection) => {
                        commit(store, &mut batch)?;
                        return Err(rejected(rejection, line_no));
                    }
                }
            }
        }
        if eof || reader.buffer().is_empty() || batch.commands.len() >= 4096 {
            commit(store, &mut batch)?;
        }
        if eof {
            return Ok(());
        }
    }
}

/// The refusal of a line that is not UTF-8 (RFC 8259 §8.1), naming the first bad byte.
fn not_utf8(line: &[u8]) -> Rejection {
    let offset = std::str::from_utf8(line)
        .err()
        .map_or(0, |e| e.valid_up_to());
    Rejection::InvalidJson {
        message: format!(
            "the line is not UTF-8 (invalid byte 0x{:02x} at byte offset {offset}); JSON text must be UTF-8",
            line.get(offset).copied().unwrap_or(0)
        ),
    }
}

pub(crate) fn rejected(r: Rejection, line: usize) -> Failure {
    Failure::rejected(
        r.code(),
        format!("line {line}: {r} (nothing was written for it; later lines were not read)"),
    )
}

/// Commands read but not yet committed, with their input line numbers.
#[derive(Default)]
pub(crate) struct Batch {
    commands: Vec<CaseCommand>,
    lines: Vec<usize>,
    /// The acknowledgements being written (kept between batches: a stream acknowledges
    /// hundreds of megabytes).
    out: Vec<u8>,
}

/// Submits a batch, prints one result line per accepted command (after the fsync), and turns a
/// rejection into the failure that stops `apply`.
pub(crate) fn commit<B: Backend>(
    store: &mut CaseStore<B>,
    batch: &mut Batch,
) -> Result<(), Failure> {
    if batch.commands.is_empty() {
        return Ok(());
    }
    let submission = store.submit(&batch.commands).map_err(store_failure)?;
    let accepted = submission.accepted;
    let rejection = submission.rejected;
    let text = &mut batch.out;
    text.clear();
    for a in accepted {
        let line = output::ApplyLine {
            seq: a.seq,
            head: a.head,
            events: a.events,
        };
        serde_json::to_writer(&mut *text, &line).map_err(|e| {
            Failure::new(
                ErrorCode::Internal,
                format!("cannot serialise a result: {e}"),
            )
        })?;
        text.push(b'\n');
    }
    // Durable before it is acknowledged; a reader that went away just stops reading.
    emit_bytes(text)?;
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
        Failure::new(
            ErrorCode::Usage,
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

/// Replays the journal; with `required` (what needs them), the relying party must pass its own
/// workflow and trust file ([`Anchors::require_own_documents`]: `anchor_required`, exit 2).
pub(crate) fn read_case(
    location: &Location,
    pins: &Pins,
    required: Option<&str>,
    expect: Option<&str>,
) -> Result<Replay, Failure> {
    let anchors = anchors(location, pins, expect)?;
    if let Some(purpose) = required {
        anchors
            .require_own_documents(purpose)
            .map_err(store_failure)?;
    }
    if let Place::File(path) = location.place()? {
        // A file journal has a snapshot beside it: `status` and `packet --draft` open the case
        // from it; `verify` and the accepted packet replay every record and rewrite it.
        let replay = match required {
            None => replay_file_with_snapshot(path, anchors).map(|(replay, _)| replay),
            Some(_) => replay_file_rebuilding_snapshot(path, anchors),
        };
        return replay.map_err(store_failure);
    }
    replay_each(location, anchors, |_| Ok(()))
}

/// The relying party's anchors: its own workflow and trust file (if given), the head it was
/// acknowledged (`--expect-head`) and the case it asked for (`--case`).
fn anchors(location: &Location, pins: &Pins, expect: Option<&str>) -> Result<Anchors, Failure> {
    let expect_head = expect_head(expect)?;
    let (workflow, trust) = load_pins(pins)?;
    Ok(Anchors {
        workflow,
        trust,
        expect_head,
        case: location.expected_case(),
    })
}

/// [`read_case`] without the anchor requirement, calling `each` with the case after every
/// record is replayed.
pub(crate) fn read_case_each(
    location: &Location,
    pins: &Pins,
    expect: Option<&str>,
    each: impl FnMut(&authority_lane::case::Case) -> Result<(), StoreError>,
) -> Result<Replay, Failure> {
    let anchors = anchors(location, pins, expect)?;
    replay_each(location, anchors, each)
}

/// Streams the case's journal from record 0 and replays it against `anchors`.
fn replay_each(
    location: &Location,
    anchors: Anchors,
    each: impl FnMut(&authority_lane::case::Case) -> Result<(), StoreError>,
) -> Result<Replay, Failure> {
    match location.place()? {
        Place::File(path) => {
            let mut backend = authority_lane::journal::FileBackend::new(path);
            let reader = backend.read_from(0).map_err(|e| store_failure(e.into()))?;
            replay_reader_each(reader, anchors, each).map_err(store_failure)
        }
        #[cfg(feature = "postgres")]
        Place::Postgres { url, case } => {
            let mut backend = connect(url, Some(required_case(case)?))?;
            let reader = backend.read_from(0).map_err(|e| store_failure(e.into()))?;
            replay_reader_each(reader, anchors, each).map_err(store_failure)
        }
    }
}

/// `export`: the case's journal, byte for byte as stored, to standard output. It is not
/// verified here (that is `verify`'s job, on the exported file): an export of a tampered store
/// is evidence, not something to refuse.
pub(crate) fn export(location: &Location) -> Result<(), Failure> {
    let expected = location.expected_case();
    match location.place()? {
        Place::File(path) => {
            let mut backend = authority_lane::journal::FileBackend::new(path);
            copy_out(&mut backend, expected.as_ref())
        }
        #[cfg(feature = "postgres")]
        Place::Postgres { url, case } => {
            let mut backend = connect(url, Some(required_case(case)?))?;
            copy_out(&mut backend, expected.as_ref())
        }
    }
}

/// Copies the journal's bytes to standard output. Record 0 must declare the case asked for
/// (`case_mismatch`): rows of one case put under another's id are not exported as that case.
fn copy_out<B: Backend>(backend: &mut B, expected: Option<&CaseId>) -> Result<(), Failure> {
    let mut reader = backend.read_from(0).map_err(|e| store_failure(e.into()))?;
    // A store's reader refuses rows whose columns disagree with their lines: that error
    // travels inside the read error.
    let io = |e: std::io::Error| {
        store_failure(authority_lane::journal::JournalError::from_read(None, e).into())
    };
    // Record 0 first: its case id is checked before anything is written.
    let mut first = Vec::new();
    reader.read_until(b'\n', &mut first).map_err(io)?;
    if first.is_empty() {
        return Err(store_failure(
            authority_lane::journal::JournalError::Empty.into(),
        ));
    }
    if let Some(expected) = expected {
        let declared = serde_json::from_slice::<serde_json::Value>(&first)
            .ok()
            .and_then(|r| r["event"]["case_id"].as_str().map(CaseId::from));
        match declared {
            Some(found) if found == *expected => {}
            Some(found) => {
                return Err(store_failure(StoreError::CaseMismatch {
                    expected: expected.clone(),
                    found,
                }));
            }
            None => {
                return Err(Failure::new(
                    ErrorCode::JournalTampered,
                    format!("record 0 declares no case id; the case asked for is {expected}"),
                ));
            }
        }
    }
    emit_bytes(&first)?;
    // Bytes, never text: a chunk boundary may fall inside a multi-byte character, and the
    // journal's hashes are over its exact bytes.
    let mut chunk = Vec::with_capacity(1 << 16);
    loop {
        chunk.clear();
        let n = reader
            .by_ref()
            .take(1 << 16)
            .read_to_end(&mut chunk)
            .map_err(io)?;
        if n == 0 {
            return Ok(());
        }
        emit_bytes(&chunk)?;
    }
}

pub(crate) fn status(journal: &Location, pins: &Pins, format: StatusFormat) -> Result<(), Failure> {
    let replay = read_case(journal, pins, None, None)?;
    let status = JournalStatus::of(&replay);
    match format {
        StatusFormat::Json => print_json(&status),
        StatusFormat::Html => emit(&render::status_html(
            &status.status,
            status.seq,
            &status.head,
        )),
    }
}

pub(crate) fn trust(journal: &Location, pins: &Pins) -> Result<(), Failure> {
    let replay = read_case(journal, pins, None, None)?;
    print_json(&replay.case.signing_rights())
}

/// Which packet `packet` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Which {
    /// The current draft (`--draft`).
    Draft,
    /// The accepted packet of a case in `closed/accepted`.
    Accepted,
    /// The packet accepted for revision N (`--revision N`), whatever happened since.
    Revision(u64),
}

pub(crate) fn packet(
    journal: &Location,
    which: Which,
    channel: Option<&str>,
    format: PacketFormat,
    pins: &Pins,
    expect: Option<&str>,
) -> Result<(), Failure> {
    let (view, title, state) = match which {
        Which::Draft => {
            let replay = read_case(journal, pins, None, expect)?;
            let case = &replay.case;
            let d = case.draft().ok_or_else(|| {
                Failure::new(ErrorCode::NotReady, format!(
                    "no draft: the case is in {}; {}",
                    case.path(),
                    if case.state().is_closed() {
                        "it was closed without one"
                    } else {
                        "required facts are missing or requested evidence has not arrived (status lists them)"
                    }
                ))
            })?;
            let title = format!(
                "Draft recommendation packet (revision {})",
                d.content.revision
            );
            (d.view(&find_channel(case, channel)?), title, case.state())
        }
        Which::Accepted => {
            let replay = read_case(journal, pins, Some("packet (the accepted packet)"), expect)?;
            replay.check_not_future(Utc::now()).map_err(store_failure)?;
            let case = &replay.case;
            let mut p = replay.packet().ok_or_else(|| {
                let earlier = case
                    .prior_revisions()
                    .last()
                    .map(|r| format!("; revision {0} was accepted and reopened: packet --revision {0}", r.revision))
                    .unwrap_or_default();
                Failure::new(ErrorCode::NotReady, format!("no recommendation packet: the case is in {}; a packet exists only in closed/accepted (use --draft for the current draft){earlier}", case.path()))
            })?;
            attach_consistency(journal, pins, case, &mut p)?;
            (
                p.view(&find_channel(case, channel)?),
                "Recommendation packet".to_owned(),
                Leaf::Accepted,
            )
        }
        Which::Revision(n) => {
            let (mut p, replay) = accepted_revision(journal, pins, expect, n)?;
            let case = &replay.case;
            attach_consistency(journal, pins, case, &mut p)?;
            let title = format!("Recommendation packet (revision {n})");
            (p.view(&find_channel(case, channel)?), title, Leaf::Accepted)
        }
    };
    match format {
        PacketFormat::Json => print_json(&view.to_json()),
        PacketFormat::Markdown => emit(&render::packet_markdown(&view, &title)),
        PacketFormat::Html => emit(&render::packet_html(&view, &title, state)),
    }
}

/// The packet accepted for revision `n`, as it was while it stood: replayed from record 0
/// against the relying party's own workflow and trust file, and taken at the last record
/// before the first finding that followed its acceptance (what `packet` printed then).
fn accepted_revision(
    journal: &Location,
    pins: &Pins,
    expect: Option<&str>,
    n: u64,
) -> Result<(authority_lane::packet::RecommendationPacket, Replay), Failure> {
    anchors(journal, pins, expect)?
        .require_own_documents("packet --revision")
        .map_err(store_failure)?;
    let mut found = None;
    let replay = read_case_each(journal, pins, expect, |case| {
        if case.state() == authority_lane::case::Leaf::Accepted
            && case.revision() == n
            && case.findings_since_acceptance() == 0
        {
            found = case
                .acceptance_record()
                .and_then(|r| case.packet(r.clone()));
        }
        Ok(())
    })?;
    replay.check_not_future(Utc::now()).map_err(store_failure)?;
    let Some(packet) = found else {
        let mut accepted: Vec<u64> = replay
            .case
            .prior_revisions()
            .iter()
            .map(|r| r.revision)
            .collect();
        if replay.case.state() == authority_lane::case::Leaf::Accepted {
            accepted.push(replay.case.revision());
        }
        return Err(Failure::new(
            ErrorCode::NotReady,
            format!(
                "no packet was accepted for revision {n} (accepted revisions: {accepted:?}; the case is in {} at revision {})",
                replay.case.path(),
                replay.case.revision()
            ),
        ));
    };
    Ok((packet, replay))
}

pub(crate) fn verify(journal: &Location, pins: &Pins, expect: Option<&str>) -> Result<(), Failure> {
    let replay = read_case(journal, pins, Some("verify"), expect)?;
    replay.check_not_future(Utc::now()).map_err(store_failure)?;
    let case = &replay.case;
    // Building a draft digests the whole lineage: build it once. An accepted packet's digest
    // is its draft's digest.
    let packet_digest = replay.packet().map(|p| p.packet_digest().clone());
    let draft_digest = packet_digest.clone().or_else(|| case.draft_digest());
    print_json(&output::VerifyOutput {
        ok: true,
        case_id: case.id().clone(),
        records: replay.records,
        seq: replay.head.seq,
        head: replay.head.head.clone(),
        supplied_clock_records: replay.supplied_clock,
        supplied_clock_span: replay.supplied_span,
        torn_tail: replay.torn_tail.map(|t| output::TornTailOutput {
            offset: t.offset,
            len: t.len,
        }),
        unterminated: replay.unterminated,
        state: case.state(),
        path: case.path(),
        draft_digest,
        packet_digest,
        workflow_digest: case.genesis().workflow_digest.clone(),
        trust_digest: case.genesis().trust_digest.clone(),
        trust_in_force: (!case.trust_history().is_empty()).then(|| case.trust().digest().clone()),
    })
}
