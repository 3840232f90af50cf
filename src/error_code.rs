//! The catalogue of error codes: every `code` the library's errors and the CLI's
//! `{"error": {"code", "message"}}` can carry, with its meaning, exit status and the commands
//! that emit it. `docs/errors.md` is generated from [`CATALOGUE`] ([`markdown`]) and
//! drift-checked by the tests; the error schema (`error.schema.json`) takes its `code` enum from
//! it ([`ErrorCodeName`]). One code per cause: a missing or unreadable file is
//! `unreadable_file` wherever a file (or `-`, standard input) is taken.

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;
use std::borrow::Cow;

/// One error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeEntry {
    /// The stable code.
    pub code: &'static str,
    /// Exit status of the CLI when it stops with this code.
    pub exit: &'static str,
    /// The commands that can emit it.
    pub commands: &'static str,
    /// What it means and what to do.
    pub meaning: &'static str,
}

const fn e(
    code: &'static str,
    exit: &'static str,
    commands: &'static str,
    meaning: &'static str,
) -> CodeEntry {
    CodeEntry {
        code,
        exit,
        commands,
        meaning,
    }
}

const CASE_IO: &str = "apply, status, packet, verify, lineage, export";
const READERS: &str = "apply, status, packet, verify, lineage";

/// Every code, grouped: usage and files, policy and trust documents, commands, tokens and
/// approvals, the journal and its anchors.
pub const CATALOGUE: &[CodeEntry] = &[
    e(
        "usage",
        "2",
        "all",
        "The command line is wrong: an unknown flag, a missing argument, a malformed --at, --expect-head or channel name, a --store URL with another scheme (named, never echoed), a bad `?schema=` or an unescaped '@', '/' or '?' in its user name or password. The message shows the expected form. A --workflow, --trust, --facts or --token that is not a regular file or `-` (a FIFO, directory or device); a demo --case that is not a plain file name.",
    ),
    e(
        "unreadable_file",
        "2",
        "all that take a file or `-`",
        "A file named on the command line (workflow, trust, facts, token, commands, journal) is missing or cannot be read, or standard input cannot be read.",
    ),
    e(
        "io",
        "2",
        "schema, demo, all (standard output)",
        "Writing failed: an output directory or file, or standard output for a reason other than a closed pipe (a closed pipe ends the program quietly).",
    ),
    e(
        "internal",
        "2",
        "all",
        "A result could not be serialised; a bug, please report it.",
    ),
    e(
        "schema_drift",
        "1",
        "schema --check",
        "A checked-in schema differs from the generated one; regenerate with `schema --out`.",
    ),
    e(
        "demo_failed",
        "2",
        "demo",
        "The shipped scenario did not run to an accepted packet.",
    ),
    e(
        "invalid_json",
        "2 (files), 3 (apply)",
        "evaluate, init, apply",
        "Not JSON, not UTF-8, or not of the document's shape; the message names the line, field and expected form.",
    ),
    e(
        "invalid_workflow",
        "2",
        "evaluate, init, status, packet, verify, lineage, schema --workflow",
        "The workflow is not valid (shape, an undeclared fact in a rule, a type mismatch); the message gives the JSON path.",
    ),
    e(
        "invalid_trust",
        "2",
        "init, apply, status, packet, verify, lineage",
        "The trust file is not valid: shape, key type (OKP/Ed25519 only), a key listed twice, a weak key, a bad principal id or kid.",
    ),
    e(
        "unknown_fact",
        "2 (evaluate), 3 (apply)",
        "evaluate, apply",
        "A fact the workflow does not declare.",
    ),
    e(
        "invalid_value",
        "2 (evaluate), 3 (apply)",
        "evaluate, apply",
        "A value of the wrong type for its fact (the message names the expected type).",
    ),
    e(
        "role_not_permitted",
        "3",
        "apply",
        "The agent's role may not submit this fact.",
    ),
    e(
        "input_too_large",
        "3 (apply), 2 (files)",
        "apply, evaluate, init, status, packet, verify, lineage",
        "A command line over 64 KiB, a token over 8 KiB, an id, record or system over 256 bytes, a note over 4 KiB; a workflow, trust or facts file over 1 MiB, a token file over 64 KiB.",
    ),
    e(
        "clock_skew",
        "3",
        "apply",
        "The command's `at` is ahead of the time of record by more than `review.max_clock_skew_secs`.",
    ),
    e(
        "time_regression",
        "3",
        "apply",
        "A supplied time of record (--at) is earlier than the last record's.",
    ),
    e(
        "case_closed",
        "3",
        "apply",
        "The case is closed (accepted or stood down); nothing more is accepted.",
    ),
    e(
        "not_allowed_in_state",
        "3",
        "apply",
        "The command is not allowed in the case's current state.",
    ),
    e(
        "invalid_token",
        "3",
        "init, apply",
        "The token is not a compact JWS with valid claims (shape, empty jti or sub, exp before iat, a bad digest…).",
    ),
    e(
        "algorithm_not_allowed",
        "3",
        "init, apply",
        "The token's `alg` is not EdDSA.",
    ),
    e(
        "unknown_key",
        "3",
        "init, apply",
        "The token's `kid` is not a key of its issuer in the trust file.",
    ),
    e(
        "bad_signature",
        "3",
        "init, apply",
        "The signature does not verify (strict Ed25519).",
    ),
    e(
        "audience_mismatch",
        "3",
        "init, apply",
        "`aud` is not, and does not contain, `authority-lane`.",
    ),
    e(
        "case_mismatch",
        "3 (a token), 4 (a journal or store)",
        "init, apply, status, packet, verify, lineage, export",
        "A token's `sub` is not this case's id (exit 3); or record 0 declares another case than --case names, or the declaration `init --case` was given opens another case (exit 4): rows or a file of one case stored under another's id.",
    ),
    e(
        "token_expired",
        "3",
        "init, apply",
        "The time of record is at or after `exp`.",
    ),
    e(
        "token_not_yet_valid",
        "3",
        "init, apply",
        "`iat` is more than 60 s after the time of record.",
    ),
    e(
        "token_lifetime_too_long",
        "3",
        "init, apply",
        "`exp − iat` exceeds `review.max_token_lifetime_secs`.",
    ),
    e(
        "replayed_token",
        "3",
        "apply",
        "The token's `jti` was seen before in this case.",
    ),
    e(
        "stale_approval",
        "3",
        "apply",
        "The token's digest (packet or assessment) is not the current one; re-read `status`.",
    ),
    e(
        "not_authorized",
        "3",
        "init, apply",
        "The issuer lacks the role or lane the decision needs; the message says who may.",
    ),
    e(
        "duplicate_approver",
        "3",
        "apply",
        "The same principal or key already counts in this quorum.",
    ),
    e(
        "separation_of_duties",
        "3",
        "apply",
        "The acceptor also reviewed this revision.",
    ),
    e(
        "missing_attestation",
        "3",
        "apply",
        "A review's attestations are not exactly the policy's set.",
    ),
    e(
        "stale_event",
        "—",
        "library only (`Case::evolve`)",
        "An event decided against another state than the case is in; the CLI reports a journal that replays to one as `journal_tampered`.",
    ),
    e(
        "anchor_required",
        "2",
        "verify, packet",
        "`verify` and the accepted `packet` need your own --workflow and --trust.",
    ),
    e(
        "pin_mismatch",
        "4",
        READERS,
        "The workflow or trust file given differs from the one the journal pins in record 0.",
    ),
    e(
        "clock_behind",
        "4",
        "init, apply",
        "The journal's last time of record is ahead of this writer's clock by more than review.max_clock_skew_secs: it holds a future time (a supplied --at, or an injected record). Nothing was written; check the journal with `verify` and the writer's clock.",
    ),
    e(
        "future_record",
        "4",
        "verify, packet",
        "A time of record is later than the verifier's clock plus review.max_clock_skew_secs: the journal claims a future that has not happened.",
    ),
    e(
        "proof_invalid",
        "4",
        "lineage --check-proof",
        "An inclusion proof does not check out: index not below count, the entry's index not the proof's, a leaf that is not the entry's hash, a path that does not lead to the root, or a root (or --count) other than the one you trust. The message names the check.",
    ),
    e(
        "rollback",
        "4",
        "packet, verify",
        "The journal no longer holds the record --expect-head names.",
    ),
    e(
        "not_ready",
        "5",
        "packet",
        "No packet yet (only closed/accepted has one), or no draft (`packet --draft`).",
    ),
    e(
        "journal_io",
        "2",
        "init, apply, status, packet, verify, lineage, export, demo, store migrate",
        "The journal or store failed while reading or writing (other than a missing file: `unreadable_file`): unreachable, refused (a role without the privilege), or a PostgreSQL store whose table was never created (run `authority-lane store migrate --store URL`; only it and `init` create it).",
    ),
    e(
        "journal_exists",
        "2",
        "init, demo",
        "The journal file or the store's case already exists.",
    ),
    e(
        "journal_locked",
        "3",
        "apply, init",
        "Another writer held the journal longer than --lock-timeout.",
    ),
    e(
        "journal_conflict",
        "3",
        "apply",
        "Another writer appended first and the retries ran out; nothing was written.",
    ),
    e(
        "journal_tampered",
        "4",
        CASE_IO,
        "The chain does not verify: a bad line, hash, link or token, or replay refused an event; or a store row's `seq` or `hash` column disagrees with its line (a row removed or renumbered: also refused by `export`).",
    ),
    e("journal_empty", "4", CASE_IO, "The journal has no record."),
    e(
        "journal_invalid_event",
        "4",
        READERS,
        "A record's event is not of the event shape.",
    ),
    e(
        "journal_invalid_time",
        "2",
        READERS,
        "A record's time cannot be represented in the one timestamp grammar.",
    ),
    e(
        "journal_modified",
        "4",
        "apply",
        "The journal changed under the writer in a way that is not an append.",
    ),
    e(
        "journal_poisoned",
        "2",
        "apply",
        "An earlier write failed midway; the store refuses further writes until reopened.",
    ),
    e(
        "journal_encode",
        "2",
        "init, apply",
        "A record could not be encoded as canonical JSON.",
    ),
];

/// The entry of `code`, if it is in the catalogue.
pub fn lookup(code: &str) -> Option<&'static CodeEntry> {
    CATALOGUE.iter().find(|c| c.code == code)
}

/// `docs/errors.md`: the catalogue as one Markdown table.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Error codes\n\n\
         Generated from `src/error_code.rs` (`CATALOGUE`); the tests fail when this file drifts \
         (regenerate with `AUTHORITY_LANE_BLESS=1 cargo test --lib error_code`).\n\n\
         Every error goes to stderr as one line `{\"error\": {\"code\": \"…\", \"message\": \"…\"}}` \
         (schema: `schemas/error.schema.json`). Exit codes: 0 ok · 1 schema drift · 2 usage or \
         invalid input · 3 command rejected (nothing written) · 4 journal integrity failure · \
         5 not ready. A closed standard output ends the program quietly with 141.\n\n\
         | code | exit | commands | meaning |\n|---|---|---|---|\n",
    );
    for c in CATALOGUE {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            c.code,
            c.exit,
            c.commands,
            c.meaning.replace('|', "\\|")
        ));
    }
    out
}

/// An error code as the error object carries it: a string whose schema is the enum of
/// [`CATALOGUE`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ErrorCodeName(pub String);

impl JsonSchema for ErrorCodeName {
    fn schema_name() -> Cow<'static, str> {
        "ErrorCode".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let codes: Vec<&str> = CATALOGUE.iter().map(|c| c.code).collect();
        schemars::json_schema!({
            "description": "A stable error code; docs/errors.md says what each means.",
            "type": "string",
            "enum": codes
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn codes_are_unique_and_snake_case() {
        let mut seen = BTreeSet::new();
        for c in CATALOGUE {
            assert!(seen.insert(c.code), "{} twice", c.code);
            assert!(
                c.code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{}",
                c.code
            );
        }
    }

    /// Every code literal the sources return (`=> "code"` in a `code()` match, `"code"` as the
    /// first argument of a CLI failure) is catalogued, and every catalogued code is emitted
    /// somewhere: a new cause needs an entry, a removed one takes its entry with it.
    #[test]
    fn the_catalogue_matches_the_codes_in_the_sources() {
        let mut emitted = BTreeSet::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("src is readable").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|x| x == "rs")
                    && !path.ends_with("error_code.rs")
                {
                    let text = std::fs::read_to_string(&path).expect("a source file");
                    collect_codes(&text, &mut emitted);
                }
            }
        }
        let catalogued: BTreeSet<&str> = CATALOGUE.iter().map(|c| c.code).collect();
        let missing: Vec<_> = emitted
            .iter()
            .filter(|c| !catalogued.contains(*c as &str))
            .collect();
        assert!(
            missing.is_empty(),
            "emitted but not catalogued: {missing:?}"
        );
        let unused: Vec<_> = catalogued
            .iter()
            .filter(|c| !emitted.contains(**c))
            .collect();
        assert!(
            unused.is_empty(),
            "catalogued but never emitted: {unused:?}"
        );
    }

    fn collect_codes(text: &str, out: &mut BTreeSet<String>) {
        let mut in_code_fn = false;
        for line in text.lines() {
            let t = line.trim();
            if t.starts_with("pub fn code(&self) -> &'static str") {
                in_code_fn = true;
            } else if in_code_fn && t == "}" && line.starts_with("    }") {
                in_code_fn = false;
            }
            let quoted = |s: &str| {
                s.split('"')
                    .nth(1)
                    .filter(|c| {
                        !c.is_empty() && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                    })
                    .map(str::to_owned)
            };
            if in_code_fn && (t.contains("=> \"") || t.starts_with('"')) {
                out.extend(quoted(t.rsplit("=>").next().unwrap_or(t)));
            }
        }
        for call in ["Failure::new(", "Failure::input("] {
            for piece in text.split(call).skip(1) {
                let piece = piece.trim_start();
                if piece.starts_with('"') {
                    out.extend(
                        piece
                            .split('"')
                            .nth(1)
                            .filter(|c| c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
                            .map(str::to_owned),
                    );
                }
            }
        }
    }

    #[test]
    fn docs_errors_md_is_generated_from_the_catalogue() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/errors.md");
        let want = markdown();
        if std::env::var_os("AUTHORITY_LANE_BLESS").is_some() {
            std::fs::write(&path, &want).expect("docs/errors.md is writable");
        }
        let found = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            found == want,
            "docs/errors.md drifted from the catalogue; regenerate with AUTHORITY_LANE_BLESS=1 cargo test --lib error_code"
        );
    }
}
