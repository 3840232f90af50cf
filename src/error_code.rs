//! Every error code, as one type: [`ErrorCode`]. Each variant carries its stable snake_case
//! code (what the library's errors and the CLI's `{"error": {"code", "message"}}` say), the
//! CLI's exit status when it stops with it, the commands that can emit it and what it means.
//! `docs/errors.md` is generated from it ([`markdown`]) and drift-checked by the tests; the
//! error schema (`error.schema.json`) takes its `code` enum from it. One code per cause: a
//! missing or unreadable file is `unreadable_file` wherever a file (or `-`, standard input) is
//! taken.
//!
//! The exit status: a command refused by the case (a [`Rejection`](crate::case::Rejection) in
//! `apply` or `init`) exits 3 whatever its code ([`EXIT_REJECTED`]); anything else exits with
//! its code's [`ErrorCode::exit_status`]. That is why `invalid_json` is 2 for a file and 3 for
//! an `apply` line, and `case_mismatch` 3 for a token and 4 for a journal.

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

/// The exit status of a command the case refused, whatever its code: nothing was written.
pub const EXIT_REJECTED: u8 = 3;

const CASE_IO: &str = "apply, status, packet, verify, lineage, export";
const READERS: &str = "apply, status, packet, verify, lineage";

/// Declares [`ErrorCode`] and its tables from one list: variant, code, exit status, the exit
/// as `docs/errors.md` states it, the commands, the meaning.
macro_rules! error_codes {
    ($($variant:ident = $code:literal, exit $exit:literal, $exit_doc:literal, $commands:expr,
        $meaning:literal;)*) => {
        /// A stable error code. Serialised as its snake_case string ([`ErrorCode::as_str`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode {
            $(
                #[doc = $meaning]
                $variant,
            )*
        }

        impl ErrorCode {
            /// Every code, in the order `docs/errors.md` lists them: usage and files, policy
            /// and trust documents, commands, tokens and approvals, the journal and its anchors.
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The stable code, e.g. `"journal_tampered"`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }

            /// The CLI's exit status when it stops with this code, unless the failure is a
            /// command the case refused ([`EXIT_REJECTED`]).
            pub const fn exit_status(self) -> u8 {
                match self {
                    $(ErrorCode::$variant => $exit,)*
                }
            }

            /// The exit status as `docs/errors.md` states it, with the contexts where it differs.
            pub const fn exit_doc(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $exit_doc,)*
                }
            }

            /// The commands that can emit it.
            pub const fn commands(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $commands,)*
                }
            }

            /// What it means and what to do.
            pub const fn description(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $meaning,)*
                }
            }
        }
    };
}

error_codes! {
    Usage = "usage", exit 2, "2", "all",
        "The command line is wrong: an unknown flag, a missing argument, a malformed --at, --expect-head or channel name, a --store URL with another scheme (named, never echoed), a bad `?schema=` or an unescaped '@', '/' or '?' in its user name or password. The message shows the expected form. A --workflow, --trust, --facts or --token that is not a regular file or `-` (a FIFO, directory or device); a demo --case that is not a plain file name.";
    UnreadableFile = "unreadable_file", exit 2, "2", "all that take a file or `-`",
        "A file named on the command line (workflow, trust, facts, token, commands, journal) is missing or cannot be read, or standard input cannot be read.";
    Io = "io", exit 2, "2", "schema, demo, all (standard output)",
        "Writing failed: an output directory or file, or standard output for a reason other than a closed pipe (a closed pipe ends the program quietly).";
    Internal = "internal", exit 2, "2", "all",
        "A result could not be serialised; a bug, please report it.";
    SchemaDrift = "schema_drift", exit 1, "1", "schema --check",
        "A checked-in schema differs from the generated one; regenerate with `schema --out`.";
    DemoFailed = "demo_failed", exit 2, "2", "demo",
        "The shipped scenario did not run to an accepted packet.";
    InvalidJson = "invalid_json", exit 2, "2 (files), 3 (apply)", "evaluate, init, apply",
        "Not JSON, not UTF-8, or not of the document's shape; the message names the line, field and expected form.";
    InvalidWorkflow = "invalid_workflow", exit 2, "2", "evaluate, init, status, packet, verify, lineage, schema --workflow",
        "The workflow is not valid (shape, an undeclared fact in a rule, a type mismatch); the message gives the JSON path.";
    InvalidTrust = "invalid_trust", exit 2, "2", "init, apply, status, packet, verify, lineage",
        "The trust file is not valid: shape, key type (OKP/Ed25519 only), a key listed twice, a weak key, a bad principal id or kid.";
    UnknownFact = "unknown_fact", exit 2, "2 (evaluate), 3 (apply)", "evaluate, apply",
        "A fact the workflow does not declare.";
    InvalidValue = "invalid_value", exit 2, "2 (evaluate), 3 (apply)", "evaluate, apply",
        "A value of the wrong type for its fact (the message names the expected type).";
    RoleNotPermitted = "role_not_permitted", exit 3, "3", "apply",
        "The agent's role may not submit this fact.";
    InputTooLarge = "input_too_large", exit 2, "3 (apply), 2 (files)", "apply, evaluate, init, status, packet, verify, lineage",
        "A command line over 64 KiB, a token over 8 KiB, an id, record or system over 256 bytes, a note over 4 KiB; a workflow, trust or facts file over 1 MiB, a token file over 64 KiB.";
    ClockSkew = "clock_skew", exit 3, "3", "apply",
        "The command's `at` is ahead of the time of record by more than `review.max_clock_skew_secs`.";
    TimeRegression = "time_regression", exit 3, "3", "apply",
        "A supplied time of record (--at) is earlier than the last record's.";
    CaseClosed = "case_closed", exit 3, "3", "apply",
        "The case is closed: stood down (nothing more is accepted) or accepted (no further decisions; under carry_over \"decision_unchanged\" findings are still recorded and may reopen it).";
    NotAllowedInState = "not_allowed_in_state", exit 3, "3", "apply",
        "The command is not allowed in the case's current state.";
    InvalidToken = "invalid_token", exit 3, "3", "init, apply",
        "The token is not a compact JWS with valid claims (shape, empty jti or sub, exp before iat, a bad digest…).";
    AlgorithmNotAllowed = "algorithm_not_allowed", exit 3, "3", "init, apply",
        "The token's `alg` is not EdDSA.";
    UnknownKey = "unknown_key", exit 3, "3", "init, apply",
        "The token's `kid` is not a key of its issuer in the trust file.";
    BadSignature = "bad_signature", exit 3, "3", "init, apply",
        "The signature does not verify (strict Ed25519).";
    AudienceMismatch = "audience_mismatch", exit 3, "3", "init, apply",
        "`aud` is not, and does not contain, `authority-lane`.";
    CaseMismatch = "case_mismatch", exit 4, "3 (a token), 4 (a journal or store)", "init, apply, status, packet, verify, lineage, export",
        "A token's `sub` is not this case's id (exit 3); or record 0 declares another case than --case names, or the declaration `init --case` was given opens another case (exit 4): rows or a file of one case stored under another's id.";
    TokenExpired = "token_expired", exit 3, "3", "init, apply",
        "The time of record is at or after `exp`.";
    TokenNotYetValid = "token_not_yet_valid", exit 3, "3", "init, apply",
        "`iat` is more than 60 s after the time of record.";
    TokenLifetimeTooLong = "token_lifetime_too_long", exit 3, "3", "init, apply",
        "`exp − iat` exceeds `review.max_token_lifetime_secs`.";
    ReplayedToken = "replayed_token", exit 3, "3", "apply",
        "The token's `jti` was seen before in this case.";
    StaleApproval = "stale_approval", exit 3, "3", "apply",
        "The token's digest (packet, assessment, or an amendment's trust_digest_before) is not the current one, or the amendment already took effect; re-read `status`.";
    NotAuthorized = "not_authorized", exit 3, "3", "init, apply",
        "The issuer lacks the role or lane the decision needs; the message says who may.";
    DuplicateApprover = "duplicate_approver", exit 3, "3", "apply",
        "The same principal or key already counts in this quorum.";
    SeparationOfDuties = "separation_of_duties", exit 3, "3", "apply",
        "The acceptor also reviewed this revision.";
    MissingAttestation = "missing_attestation", exit 3, "3", "apply",
        "A review's attestations are not exactly the policy's set.";
    InvalidAmendment = "invalid_amendment", exit 3, "3", "apply",
        "A trust amendment (DESIGN §16) is not valid: its new trust breaks a key-hygiene rule, or a compromised kid is not a key of the trust in force, is listed twice, or is compromised since a time after the time of record.";
    AmendmentLockout = "amendment_lockout", exit 3, "3", "apply",
        "A trust amendment's new trust could never be amended again: no `amendments`, or fewer principals holding an amendment role than its threshold.";
    CompromisedKeyReadmitted = "compromised_key_readmitted", exit 3, "3", "apply",
        "A trust amendment's new trust lists a key declared compromised (its kid or the same public key under another kid).";
    KeyCompromised = "key_compromised", exit 3, "3", "apply",
        "The token's key was declared compromised by a trust amendment; or an amendment is signed by a principal whose key it declares compromised.";
    StaleEvent = "stale_event", exit 2, "—", "library only (`Case::evolve`)",
        "An event decided against another state than the case is in; the CLI reports a journal that replays to one as `journal_tampered`.";
    AnchorRequired = "anchor_required", exit 2, "2", "verify, packet",
        "`verify` and the accepted `packet` need your own --workflow and --trust.";
    PinMismatch = "pin_mismatch", exit 4, "4", READERS,
        "The workflow or trust file given differs from the one the journal pins in record 0.";
    ClockBehind = "clock_behind", exit 4, "4", "init, apply",
        "The journal's last time of record is ahead of this writer's clock by more than review.max_clock_skew_secs: it holds a future time (a supplied --at, or an injected record). Nothing was written; check the journal with `verify` and the writer's clock.";
    FutureRecord = "future_record", exit 4, "4", "verify, packet",
        "A time of record is later than the verifier's clock plus review.max_clock_skew_secs: the journal claims a future that has not happened.";
    ProofInvalid = "proof_invalid", exit 4, "4", "lineage --check-proof",
        "An inclusion proof does not check out: index not below count, the entry's index not the proof's, a leaf that is not the entry's hash, a path that does not lead to the root, or a root (or --count) other than the one you trust. The message names the check.";
    Rollback = "rollback", exit 4, "4", "packet, verify",
        "The journal no longer holds the record --expect-head names.";
    NotReady = "not_ready", exit 5, "5", "packet",
        "No packet yet (only closed/accepted has one), or no draft (`packet --draft`).";
    JournalIo = "journal_io", exit 2, "2", "init, apply, status, packet, verify, lineage, export, demo, store migrate",
        "The journal or store failed while reading or writing (other than a missing file: `unreadable_file`): unreachable, refused (a role without the privilege), or a PostgreSQL store whose table was never created (run `authority-lane store migrate --store URL`; only it and `init` create it).";
    JournalExists = "journal_exists", exit 2, "2", "init, demo",
        "The journal file or the store's case already exists.";
    JournalLocked = "journal_locked", exit 3, "3", "apply, init",
        "Another writer held the journal longer than --lock-timeout.";
    JournalConflict = "journal_conflict", exit 3, "3", "apply",
        "Another writer appended first and the retries ran out; nothing was written.";
    JournalTampered = "journal_tampered", exit 4, "4", CASE_IO,
        "The chain does not verify: a bad line, hash, link or token, or replay refused an event; or a store row's `seq` or `hash` column disagrees with its line (a row removed or renumbered: also refused by `export`).";
    JournalEmpty = "journal_empty", exit 4, "4", CASE_IO,
        "The journal has no record.";
    JournalInvalidEvent = "journal_invalid_event", exit 4, "4", READERS,
        "A record's event is not of the event shape.";
    JournalInvalidTime = "journal_invalid_time", exit 2, "2", READERS,
        "A record's time cannot be represented in the one timestamp grammar.";
    JournalModified = "journal_modified", exit 4, "4", "apply",
        "The journal changed under the writer in a way that is not an append.";
    JournalPoisoned = "journal_poisoned", exit 2, "2", "apply",
        "An earlier write failed midway; the store refuses further writes until reopened.";
    JournalEncode = "journal_encode", exit 2, "2", "init, apply",
        "A record could not be encoded as canonical JSON.";
}

impl ErrorCode {
    /// The code named `code`, if there is one.
    pub fn from_name(code: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == code)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = Cow::<str>::deserialize(deserializer)?;
        ErrorCode::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown error code `{name}`")))
    }
}

impl JsonSchema for ErrorCode {
    fn schema_name() -> Cow<'static, str> {
        "ErrorCode".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        schemars::json_schema!({
            "description": "A stable error code; docs/errors.md says what each means.",
            "type": "string",
            "enum": codes
        })
    }
}

/// `docs/errors.md`: the catalogue as one Markdown table.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Error codes\n\n\
         Generated from `src/error_code.rs` (`ErrorCode`); the tests fail when this file drifts \
         (regenerate with `AUTHORITY_LANE_BLESS=1 cargo test --lib error_code`).\n\n\
         Every error goes to stderr as one line `{\"error\": {\"code\": \"…\", \"message\": \"…\"}}` \
         (schema: `schemas/error.schema.json`). Exit codes: 0 ok · 1 schema drift · 2 usage or \
         invalid input · 3 command rejected (nothing written) · 4 journal integrity failure · \
         5 not ready. A closed standard output ends the program quietly with 141.\n\n\
         | code | exit | commands | meaning |\n|---|---|---|---|\n",
    );
    for c in ErrorCode::ALL {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            c.as_str(),
            c.exit_doc(),
            c.commands(),
            c.description().replace('|', "\\|")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn codes_are_unique_snake_case_and_round_trip() {
        let mut seen = BTreeSet::new();
        for &c in ErrorCode::ALL {
            assert!(seen.insert(c.as_str()), "{c} twice");
            assert!(
                c.as_str()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{c}"
            );
            assert_eq!(ErrorCode::from_name(c.as_str()), Some(c));
            let json = serde_json::to_string(&c).expect("a code serialises");
            assert_eq!(json, format!("\"{c}\""));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).ok(), Some(c));
        }
        assert!(serde_json::from_str::<ErrorCode>("\"no_such_code\"").is_err());
    }

    /// The documented exit states the exit status (first, or as the non-`apply` context).
    #[test]
    fn the_documented_exit_names_the_exit_status() {
        for &c in ErrorCode::ALL {
            let status = c.exit_status().to_string();
            assert!(
                c.exit_doc() == "—" || c.exit_doc().contains(&status),
                "{c}: exit_doc {:?} does not state {status}",
                c.exit_doc()
            );
        }
    }

    #[test]
    fn docs_errors_md_is_generated_from_the_codes() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/errors.md");
        let want = markdown();
        if std::env::var_os("AUTHORITY_LANE_BLESS").is_some() {
            std::fs::write(&path, &want).expect("docs/errors.md is writable");
        }
        let found = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            found == want,
            "docs/errors.md drifted from ErrorCode; regenerate with AUTHORITY_LANE_BLESS=1 cargo test --lib error_code"
        );
    }
}
