//! `store_rows`: the rows of a store (case id, seq, hash, line), as anyone with write access to
//! the table can leave them (DESIGN §12.6, §14; issue 20), fed to a case's open and verify path.
//!
//! The rows are built from a pool of real journal lines of two cases (the fixed cast's case and
//! another case declared by the same cast, with checkpoints), arbitrary bytes and mutated real
//! lines, under either case id, with their own or arbitrary `seq` and `hash` columns. The store
//! is emulated as SQL would serve it: the rows of the case asked for, one per seq (the primary
//! key keeps the first), in seq order, streamed through the crate's own row reader
//! (`journal::rows::RowLines`, what `PgBackend::read_from` uses) into `store::replay_reader`
//! with the relying party's anchors and the case asked for.
//!
//! Properties:
//! - no panic; every refusal has a code;
//! - a replay that is accepted is of the case asked for (record 0 declares it), its rows' `seq`
//!   columns run 0, 1, 2, … and every row's `hash` column is its line's hash;
//! - whatever the replay accepts, `journal::verify_records` accepts too (the same lines, the
//!   same head).
#![no_main]

use arbitrary::Arbitrary;
use authority_lane::approval::{Decision, Declare};
use authority_lane::case::Command;
use authority_lane::ids::CaseId;
use authority_lane::journal::rows::RowLines;
use authority_lane::journal::{JournalError, MemoryJournal, verify_records};
use authority_lane::store::{Anchors, CaseStore, Clock, replay_reader};
use authority_lane_fuzz::fixture::{World, finding_line, required_findings, rfc3339, t0};
use chrono::Duration;
use libfuzzer_sys::fuzz_target;

const OTHER: &str = "sev1-another-case";

/// The real lines of two cases.
struct Pool {
    world: World,
    a: Vec<Vec<u8>>,
    b: Vec<Vec<u8>>,
}

fn journal_of(world: &World, case: &CaseId, extra: usize) -> Vec<Vec<u8>> {
    let declaration = world.cast.token(
        "sam.rivera",
        case,
        t0(),
        Decision::Declare(Declare {
            scope: "production artifact-signing key".into(),
            severity: "sev1".into(),
        }),
    );
    let mut store = CaseStore::create(
        MemoryJournal::default(),
        world.workflow.clone(),
        world.trust.clone(),
        &declaration,
        Clock::Supplied(t0()),
    )
    .expect("the fixed cast opens a case");
    store.set_checkpoint_interval(2);
    let findings = required_findings();
    for i in 0..3 + extra {
        let (role, agent, fact, value, system, record) = findings[i % 3].clone();
        let at = t0() + Duration::minutes(i as i64 + 1);
        let line = finding_line(&rfc3339(&at), role, agent, fact, value, system, record, None);
        let command = Command::from_json(&line.to_string()).expect("a finding parses");
        store.set_clock(Clock::Supplied(at));
        let done = store.submit(&[command]).expect("stored");
        assert!(done.rejected.is_none());
    }
    let (_, journal) = store.into_parts();
    journal
        .to_jsonl()
        .expect("lines")
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

impl Pool {
    fn new() -> Pool {
        let world = World::new();
        let a = journal_of(&world, &world.case_id.clone(), 2);
        let b = journal_of(&world, &CaseId::from(OTHER), 1);
        Pool { world, a, b }
    }
}

thread_local! {
    static POOL: Pool = Pool::new();
}

#[derive(Arbitrary, Debug)]
enum LineIn {
    A(u8),
    B(u8),
    Raw(Vec<u8>),
    Mutated { b: bool, index: u8, at: u16, byte: u8 },
}

#[derive(Arbitrary, Debug)]
enum SeqIn {
    Own,
    Shifted(i8),
    Raw(i64),
}

#[derive(Arbitrary, Debug)]
enum HashIn {
    Own,
    OfLine(u8),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
struct RowIn {
    other_case: bool,
    seq: SeqIn,
    hash: HashIn,
    line: LineIn,
}

#[derive(Arbitrary, Debug)]
struct Input {
    ask_other: bool,
    rows: Vec<RowIn>,
}

/// The seq and hash a line's tail names (`…"hash":"H","prev":…,"seq":N}`), if it parses.
fn own(line: &[u8]) -> Option<(i64, String)> {
    let v: serde_json::Value = serde_json::from_slice(line).ok()?;
    Some((v["seq"].as_i64()?, v["hash"].as_str()?.to_owned()))
}

fn pick(lines: &[Vec<u8>], i: u8) -> Vec<u8> {
    lines[usize::from(i) % lines.len()].clone()
}

fuzz_target!(|input: Input| {
    POOL.with(|pool| check(pool, input));
});

fn check(pool: &Pool, input: Input) {
    let asked = if input.ask_other { OTHER.to_owned() } else { pool.world.case_id.to_string() };
    let mut rows: Vec<(String, i64, String, Vec<u8>)> = Vec::new();
    for (n, r) in input.rows.into_iter().take(64).enumerate() {
        let line = match r.line {
            LineIn::A(i) => pick(&pool.a, i),
            LineIn::B(i) => pick(&pool.b, i),
            LineIn::Raw(bytes) => bytes.into_iter().filter(|&b| b != b'\n').collect(),
            LineIn::Mutated { b, index, at, byte } => {
                let mut line = pick(if b { &pool.b } else { &pool.a }, index);
                let at = usize::from(at) % line.len();
                line[at] = if byte == b'\n' { b' ' } else { byte };
                line
            }
        };
        let (own_seq, own_hash) = own(&line).unwrap_or((n as i64, String::new()));
        let seq = match r.seq {
            SeqIn::Own => own_seq,
            SeqIn::Shifted(d) => own_seq.saturating_add(i64::from(d)),
            SeqIn::Raw(s) => s,
        };
        let hash = match r.hash {
            HashIn::Own => own_hash,
            HashIn::OfLine(i) => own(&pick(&pool.a, i)).map(|(_, h)| h).unwrap_or_default(),
            HashIn::Raw(h) => h,
        };
        let case = if r.other_case { OTHER.to_owned() } else { pool.world.case_id.to_string() };
        rows.push((case, seq, hash, line));
    }
    // As SQL serves them: the case's rows, one per (case, seq), in seq order.
    let mut served: Vec<(i64, String, Vec<u8>)> = Vec::new();
    for (case, seq, hash, line) in rows {
        if case == asked && !served.iter().any(|(s, _, _)| *s == seq) {
            served.push((seq, hash, line));
        }
    }
    served.sort_by_key(|(seq, _, _)| *seq);
    let stream = RowLines::new(
        served.clone().into_iter().map(Ok::<_, JournalError>),
        0,
    );
    let anchors = Anchors {
        workflow: Some(pool.world.workflow.clone()),
        trust: Some(pool.world.trust.clone()),
        expect_head: None,
        case: Some(CaseId::from(asked.as_str())),
    };
    let replay = match replay_reader(std::io::BufReader::new(stream), anchors) {
        Ok(replay) => replay,
        Err(e) => {
            let _ = e.code(); // every refusal names an ErrorCode (by type)
            let _ = e.to_string();
            return;
        }
    };
    assert_eq!(replay.case.id().as_str(), asked, "a replay of another case");
    assert_eq!(replay.records, served.len() as u64, "every served row is a record");
    for (i, (seq, hash, line)) in served.iter().enumerate() {
        assert_eq!(*seq, i as i64, "a seq column off its place");
        let (line_seq, line_hash) = own(line).expect("an accepted line parses");
        assert_eq!((line_seq, line_hash.as_str()), (*seq, hash.as_str()), "columns disagree");
    }
    let mut bytes = Vec::new();
    for (_, _, line) in &served {
        bytes.extend_from_slice(line);
        bytes.push(b'\n');
    }
    let report = verify_records(bytes.as_slice()).expect("verify_records accepts what replay accepts");
    let last = report.records.last().expect("records");
    assert_eq!((last.seq, &last.hash), (replay.head.seq, &replay.head.head));
}
