//! Commands: the untrusted input a case decides, and the bounds on it (DESIGN §12.4).

use super::*;

/// A command, as integrations send it (one JSON object per line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// An agent's finding.
    Finding {
        /// When the agent observed it (RFC 3339, four-digit year). The case judges everything
        /// at the time of record instead; this may not run ahead of it by more than the
        /// review policy's `max_clock_skew_secs`.
        #[serde(deserialize_with = "crate::time::de_at")]
        at: DateTime<Utc>,
        /// The submitting agent.
        agent: Agent,
        /// The finding.
        finding: FindingInput,
    },
    /// A human decision: a compact JWS token.
    Decision {
        /// When the human decided it (RFC 3339, four-digit year); as for findings, the token
        /// is judged at the time of record.
        #[serde(deserialize_with = "crate::time::de_at")]
        at: DateTime<Utc>,
        /// The token.
        token: String,
    },
}

/// Bounds on untrusted input (DESIGN §12.4), each refused with `input_too_large`.
pub mod limits {
    /// A command line, bytes.
    pub const COMMAND_BYTES: usize = 64 * 1024;
    /// A token, bytes.
    pub const TOKEN_BYTES: usize = crate::approval::MAX_TOKEN_BYTES;
    /// An id, a source record or a source system, bytes.
    pub const ID_BYTES: usize = 256;
    /// A note, bytes.
    pub const NOTE_BYTES: usize = 4 * 1024;
}

pub(super) fn bounded(what: &'static str, text: &str, limit: usize) -> Result<(), Rejection> {
    if text.len() > limit {
        return Err(Rejection::InputTooLarge {
            what,
            size: text.len(),
            limit,
        });
    }
    Ok(())
}

impl Command {
    /// Parses one command line: over 64 KiB is `input_too_large`, malformed JSON (or a
    /// timestamp outside the one grammar) is `invalid_json`.
    pub fn from_json(line: &str) -> Result<Command, Rejection> {
        bounded("a command line", line, limits::COMMAND_BYTES)?;
        serde_json::from_str(line).map_err(|e| Rejection::InvalidJson {
            message: e.to_string(),
        })
    }

    /// The command's time.
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Command::Finding { at, .. } | Command::Decision { at, .. } => *at,
        }
    }
}
