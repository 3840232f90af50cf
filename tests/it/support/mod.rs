//! Shared fixtures for the CLI integration tests: a hand-built trust file with keys from fixed
//! seeds, hand-assembled JWS tokens (independent of the crate's signer and verifier), command
//! lines, and helpers to run the `authority-lane` binary.
//!
//! Each test module uses a different subset of these helpers.
#![allow(dead_code)]

pub mod contract;
#[cfg(feature = "postgres")]
pub mod db;
#[cfg(feature = "postgres")]
pub mod pg;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer as _, SigningKey};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_authority-lane");

/// The case id every test token names (`sub`).
pub const CASE_ID: &str = "sev1-signing-key-2026-11-28";

/// The declaration time: 2026-11-28T08:00:00Z.
pub const T0: i64 = 1_795_852_800;

/// The review policy's attestations.
pub const ATTESTS: [&str; 3] = [
    "blocked_paths_surfaced",
    "irreversibility_surfaced",
    "evidence_lineage_checked",
];

/// A principal with a key derived from a fixed seed.
#[derive(Debug, Clone, Copy)]
pub struct Principal {
    pub id: &'static str,
    pub kid: &'static str,
    pub seed: [u8; 32],
    pub roles: &'static [&'static str],
}

pub const SAM: Principal = Principal {
    id: "sam.rivera",
    kid: "sam-2026",
    seed: [0x11; 32],
    roles: &["security-leadership"],
};
pub const PRIYA: Principal = Principal {
    id: "priya.natarajan",
    kid: "priya-2026",
    seed: [0x22; 32],
    roles: &["platform-security-command"],
};
pub const MARCUS: Principal = Principal {
    id: "marcus.chen",
    kid: "marcus-2026",
    seed: [0x33; 32],
    roles: &["executive-cyber-command"],
};
pub const DANA: Principal = Principal {
    id: "dana.okafor",
    kid: "dana-2026",
    seed: [0x44; 32],
    roles: &["legal-trust-office"],
};
pub const LEE: Principal = Principal {
    id: "lee.park",
    kid: "lee-2026",
    seed: [0x55; 32],
    roles: &["product-security-reviewer"],
};
pub const INES: Principal = Principal {
    id: "ines.duarte",
    kid: "ines-2026",
    seed: [0x66; 32],
    roles: &["trust-reviewer"],
};
pub const OMAR: Principal = Principal {
    id: "omar.haddad",
    kid: "omar-2026",
    seed: [0x77; 32],
    roles: &["product-security-reviewer"],
};
/// Not in the trust file.
pub const MALLORY: Principal = Principal {
    id: "mallory",
    kid: "mallory-2026",
    seed: [0x99; 32],
    roles: &[],
};

/// Everyone in the trust file.
pub const TRUSTED: [Principal; 7] = [SAM, PRIYA, MARCUS, DANA, LEE, INES, OMAR];

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn b64_decode(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).unwrap()
}

pub fn public_x(seed: &[u8; 32]) -> String {
    b64(&SigningKey::from_bytes(seed).verifying_key().to_bytes())
}

/// The trust file JSON for `principals`, assembled by hand (RFC 8037 OKP JWKs).
pub fn trust_json_of(principals: &[Principal]) -> String {
    let principals: Vec<Value> = principals
        .iter()
        .map(|p| {
            json!({
                "id": p.id,
                "roles": p.roles,
                "keys": [{"kid": p.kid, "jwk": {"kty": "OKP", "crv": "Ed25519", "x": public_x(&p.seed)}}],
            })
        })
        .collect();
    serde_json::to_string_pretty(&json!({ "principals": principals })).unwrap()
}

pub fn trust_json() -> String {
    trust_json_of(&TRUSTED)
}

/// A compact JWS: base64url(header) '.' base64url(claims) '.' base64url(Ed25519 signature over
/// the ASCII `header.payload`), signed with the raw seed.
pub fn sign_compact(header: &Value, claims: &Value, seed: &[u8; 32]) -> String {
    let input = format!(
        "{}.{}",
        b64(&serde_json::to_vec(header).unwrap()),
        b64(&serde_json::to_vec(claims).unwrap())
    );
    let signature = SigningKey::from_bytes(seed).sign(input.as_bytes());
    format!("{input}.{}", b64(&signature.to_bytes()))
}

pub fn header(kid: &str) -> Value {
    json!({"alg": "EdDSA", "kid": kid, "typ": "JWT"})
}

static JTI: AtomicU64 = AtomicU64::new(0);

/// A `jti` unique within this test process (and across processes: it carries the pid).
pub fn next_jti(who: &str) -> String {
    format!(
        "{who}-{}-{}",
        std::process::id(),
        JTI.fetch_add(1, Ordering::Relaxed)
    )
}

/// Claims per DESIGN §7.
pub fn claims(iss: &str, iat: i64, exp: i64, decision: Value) -> Value {
    json!({
        "iss": iss, "aud": "authority-lane", "sub": CASE_ID,
        "iat": iat, "exp": exp, "jti": next_jti(iss), "decision": decision,
    })
}

/// A token by `p`, issued at `iat`, valid for 600 s.
pub fn token(p: &Principal, iat: i64, decision: Value) -> String {
    sign_compact(
        &header(p.kid),
        &claims(p.id, iat, iat + 600, decision),
        &p.seed,
    )
}

pub fn declare() -> Value {
    json!({"kind": "declare", "scope": "production artifact-signing key", "severity": "sev1"})
}

pub fn review(digest: &str) -> Value {
    json!({"kind": "review", "packet_digest": digest, "attests": ATTESTS})
}

pub fn accept(lane: &str, digest: &str) -> Value {
    json!({"kind": "accept", "lane": lane, "packet_digest": digest})
}

/// `sha256:<hex>` of raw bytes (a source record's digest, as an agent would compute it).
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// RFC 3339 of a Unix time.
pub fn ts(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The agent role the shipped workflow lets submit `fact`.
pub fn role_of(fact: &str) -> &'static str {
    match fact.split('.').next().unwrap() {
        "custody" => "custody-evidence",
        "lineage" | "release" => "release-lineage",
        "impact" => "impact-assessment",
        "authority" => "authority-matrix",
        other => panic!("no role for fact family {other}"),
    }
}

/// One finding command line (no trailing newline).
pub fn finding_as(
    at: i64,
    role: &str,
    agent: &str,
    fact: &str,
    value: Value,
    record: &str,
    note: &str,
) -> String {
    json!({
        "type": "finding", "at": ts(at),
        "agent": {"role": role, "id": agent},
        "finding": {
            "fact": fact, "value": value,
            "source": {"system": "test-system", "record": record, "digest": sha256(record.as_bytes())},
            "note": note,
        },
    })
    .to_string()
}

/// A finding by the fact's permitted role.
pub fn finding(at: i64, agent: &str, fact: &str, value: Value, record: &str, note: &str) -> String {
    finding_as(at, role_of(fact), agent, fact, value, record, note)
}

/// Bulk lineage findings `from..to` (`lineage.internal_packages_in_window`, records
/// `lineage/PREFIX/i`, values 10 to 12) by `agent` at `at`: cases with many findings.
pub fn bulk_lineage(
    at: i64,
    agent: &str,
    prefix: &str,
    range: std::ops::Range<u64>,
) -> Vec<String> {
    range
        .map(|i| {
            finding_as(
                at,
                "release-lineage",
                agent,
                "lineage.internal_packages_in_window",
                json!(10 + i % 3),
                &format!("lineage/{prefix}/{i}"),
                "bulk lineage",
            )
        })
        .collect()
}

/// One decision command line (no trailing newline).
pub fn decision(at: i64, token: &str) -> String {
    json!({"type": "decision", "at": ts(at), "token": token}).to_string()
}

/// Lines joined with '\n', with a trailing newline.
pub fn lines(items: &[String]) -> Vec<u8> {
    let mut out = items.join("\n");
    out.push('\n');
    out.into_bytes()
}

/// Runs the binary with `args`, feeding `stdin` (if any) from a thread.
pub fn run<S: AsRef<OsStr>>(args: &[S], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn authority-lane");
    let writer = stdin.map(|bytes| {
        let mut pipe = child.stdin.take().unwrap();
        let bytes = bytes.to_vec();
        std::thread::spawn(move || {
            // The child may stop reading early (a rejected line): ignore EPIPE.
            let _ = pipe.write_all(&bytes);
        })
    });
    let out = child.wait_with_output().expect("wait for authority-lane");
    if let Some(w) = writer {
        w.join().unwrap();
    }
    // Whatever a test runs, what the CLI printed must match the published schemas.
    let args: Vec<String> = args
        .iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect();
    contract::check_output(&args, &out);
    out
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

pub fn describe(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Asserts exit 0 and returns stdout.
#[track_caller]
pub fn ok(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{}", describe(out));
    text(&out.stdout)
}

/// Asserts exit `exit` with exactly one `{"error":{"code","message"}}` object on stderr, and
/// returns the code.
#[track_caller]
pub fn failed(out: &Output, exit: i32) -> String {
    assert_eq!(out.status.code(), Some(exit), "{}", describe(out));
    let stderr = text(&out.stderr);
    let v: Value = serde_json::from_str(stderr.trim())
        .unwrap_or_else(|e| panic!("stderr is not one JSON object ({e}): {stderr}"));
    let err = v
        .get("error")
        .unwrap_or_else(|| panic!("no `error` in {v}"));
    assert!(err["message"].is_string(), "no message: {v}");
    let code = err["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no code: {v}"))
        .to_owned();
    // Every code the CLI emits is in the catalogue (docs/errors.md, error.schema.json).
    let entry = authority_lane::ErrorCode::from_name(&code)
        .unwrap_or_else(|| panic!("code `{code}` is not in the error catalogue: {v}"));
    // … with its exit status, or 3 for a command the case refused.
    assert!(
        exit == i32::from(entry.exit_status())
            || exit == i32::from(authority_lane::error_code::EXIT_REJECTED),
        "`{code}` exited {exit}; docs/errors.md says {}",
        entry.exit_doc()
    );
    assert!(
        entry.exit_doc().contains(&exit.to_string()),
        "`{code}` exited {exit}; docs/errors.md says {}",
        entry.exit_doc()
    );
    code
}

/// Asserts exit `exit` and error `code`.
#[track_caller]
pub fn failed_with(out: &Output, exit: i32, code: &str) {
    let got = failed(out, exit);
    assert_eq!(got, code, "{}", describe(out));
}

/// Parses stdout as one JSON value per line.
pub fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// Parses the journal, one record per line; asserts every line is complete.
pub fn journal_records(path: &Path) -> Vec<Value> {
    let bytes = std::fs::read(path).unwrap();
    assert!(
        bytes.is_empty() || bytes.ends_with(b"\n"),
        "journal does not end with a newline"
    );
    json_lines(&text(&bytes))
}

pub fn journal_len(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

/// A temporary directory holding the shipped workflow's path, a trust file and a journal path.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub workflow: PathBuf,
    pub trust: PathBuf,
    pub journal: PathBuf,
}

pub fn workflow_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("workflows/signing-key-compromise.json")
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let trust = dir.path().join("trust.json");
        std::fs::write(&trust, trust_json()).unwrap();
        let journal = dir.path().join("case.jsonl");
        Fixture {
            workflow: workflow_path(),
            trust,
            journal,
            dir,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn j(&self) -> &str {
        self.journal.to_str().unwrap()
    }

    /// `init` with a declaration by SAM at `at`, the token read from a file.
    pub fn init_at(&self, at: i64) -> Output {
        let token_file = self.path("declare.jws");
        std::fs::write(&token_file, token(&SAM, at, declare())).unwrap();
        run(
            &[
                "init",
                "--workflow",
                self.workflow.to_str().unwrap(),
                "--trust",
                self.trust.to_str().unwrap(),
                "--journal",
                self.j(),
                "--token",
                token_file.to_str().unwrap(),
                "--at",
                &ts(at),
            ],
            None,
        )
    }

    /// `init` that must succeed.
    pub fn init(&self, at: i64) -> Value {
        serde_json::from_str(&ok(&self.init_at(at))).unwrap()
    }

    /// `apply` reading `input` from stdin, as an honest writer whose clock reads the latest
    /// command time in `input` (and never less than the last record's): `--at` supplies it.
    pub fn apply(&self, input: &[u8]) -> Output {
        let latest = honest_clock(&self.journal, input);
        self.apply_at(input, &latest)
    }

    /// `apply` with the time of record supplied as `at` (RFC 3339).
    pub fn apply_at(&self, input: &[u8], at: &str) -> Output {
        run(&["apply", "--journal", self.j(), "--at", at], Some(input))
    }

    /// `apply` that must succeed; returns the result lines.
    #[track_caller]
    pub fn apply_ok(&self, commands: &[String]) -> Vec<Value> {
        json_lines(&ok(&self.apply(&lines(commands))))
    }

    pub fn status(&self) -> Value {
        serde_json::from_str(&ok(&run(&["status", "--journal", self.j()], None))).unwrap()
    }

    /// `verify` anchored on the fixture's own workflow and trust file.
    pub fn verify(&self) -> Output {
        run(&self.anchored(&["verify"]), None)
    }

    /// `args` followed by `--journal J --workflow W --trust T`.
    pub fn anchored(&self, args: &[&str]) -> Vec<String> {
        let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        for a in [
            "--journal",
            self.j(),
            "--workflow",
            self.workflow.to_str().unwrap(),
            "--trust",
            self.trust.to_str().unwrap(),
        ] {
            all.push(a.to_owned());
        }
        all
    }

    pub fn draft_digest(&self) -> String {
        self.status()["draft_digest"]
            .as_str()
            .expect("a draft digest")
            .to_owned()
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Fixture::new()
    }
}

/// The three required facts (custody suspected, desktop artifacts 3, delegation active) at
/// `at`, `at+60`, `at+120`: after them the case has a draft in `executive-cyber-command`.
pub fn required_findings(at: i64) -> Vec<String> {
    vec![
        finding(
            at,
            "custody-agent-1",
            "custody.exposure",
            json!("suspected"),
            "hsm-eu1/audit/88121",
            "HSM audit shows an export attempt",
        ),
        finding(
            at + 60,
            "lineage-agent-1",
            "lineage.desktop_agent_artifacts_in_window",
            json!(3),
            "releases/desktop-agent/5.14.0..5.14.2",
            "three desktop releases signed in the window",
        ),
        finding(
            at + 120,
            "authority-agent-1",
            "authority.platform_delegation",
            json!("active"),
            "delegations/platform-sec/2026-q4",
            "delegation active",
        ),
    ]
}

/// The latest `at` among the command lines of `input` and the journal's last record, in RFC
/// 3339: the clock reading of a writer whose clock is in step with its submitters.
pub fn honest_clock(journal: &Path, input: &[u8]) -> String {
    let parse = |v: &Value| {
        v["at"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
    };
    // Leniently: the journal may end in a torn or unterminated line.
    let last = std::fs::read(journal)
        .map(|bytes| {
            text(&bytes)
                .lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .filter_map(|v| parse(&v))
                .max()
        })
        .unwrap_or_default();
    let commands = text(input)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| parse(&v))
        .collect::<Vec<_>>();
    last.into_iter().chain(commands).max().map_or_else(
        || ts(T0),
        |t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
    )
}

/// Rewrites a record's `hash` (and the chain after it): `records[from..]` get `prev` = the
/// previous record's hash and `hash` = SHA-256 of the JCS form of the record without `hash`,
/// computed with the crate's canonicaliser (`Digest::of_canonical`).
pub fn rechain(records: &mut [Value], from: usize) {
    for i in from..records.len() {
        let prev = if i == 0 {
            Value::Null
        } else {
            records[i - 1]["hash"].clone()
        };
        let obj = records[i].as_object_mut().unwrap();
        obj.insert("prev".into(), prev);
        obj.remove("hash");
        let hash = authority_lane::digest::Digest::of_canonical(&*obj).unwrap();
        obj.insert("hash".into(), json!(hash.as_str()));
    }
}

/// Serialises records as JSONL, each line the RFC 8785 form of its record (as a writer must).
pub fn to_jsonl(records: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        out.extend(authority_lane::digest::canonical_json(r).unwrap());
        out.push(b'\n');
    }
    out
}

/// The demo scenario's journal, as `authority-lane demo --journal` writes it (the demo's keys
/// are generated per run; the journal replays under the trust file it embeds).
pub fn demo_journal() -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("demo.jsonl");
    ok(&run(
        &["demo".as_ref(), "--journal".as_ref(), path.as_os_str()],
        None,
    ));
    std::fs::read(&path).expect("the demo wrote its journal")
}

/// Runs a property over `QUICKCHECK_CASES` generated inputs (else `default_cases`), generated at
/// size 40: the one runner of the property suites.
pub fn check_property<T: quickcheck::Testable>(prop: T, default_cases: u64) {
    let cases = std::env::var("QUICKCHECK_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_cases);
    quickcheck::QuickCheck::new()
        .rng(quickcheck::Gen::new(40))
        .tests(cases)
        .max_tests(cases * 2)
        .quickcheck(prop);
}
