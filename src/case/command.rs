//! Commands: the untrusted input a case decides, and the bounds on it (DESIGN §12.4).

use super::*;

/// A command, as integrations send it (one JSON object per line).
// Deserialised by a visitor that fills each member's slot ([`CommandVisitor`]) rather than
// serde's internally tagged enum, which buffers every command into an intermediate tree before
// choosing the variant: `apply` reads a million of them. (A `//` comment: doc comments become
// the schema's description.)
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
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

/// The members a command may hold, by name (unknown names are refused with the list).
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum CommandField {
    Type,
    At,
    Agent,
    Finding,
    Token,
}

/// A command's `type`.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum CommandType {
    Finding,
    Decision,
}

impl<'de> Deserialize<'de> for Command {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(CommandVisitor)
    }
}

/// Reads a command's members straight into their slots (no intermediate tree, unlike serde's
/// internally tagged enums: `apply` reads a million commands), then checks that the command
/// holds exactly its kind's members.
struct CommandVisitor;

impl<'de> serde::de::Visitor<'de> for CommandVisitor {
    type Value = Command;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a command object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Command, A::Error> {
        use super::wire::{At, slot};
        use serde::de::Error;
        let (mut kind, mut at, mut agent, mut finding, mut token) = (None, None, None, None, None);
        while let Some(field) = map.next_key()? {
            match field {
                CommandField::Type => slot(&mut kind, "type", &mut map)?,
                CommandField::At => slot(&mut at, "at", &mut map)?,
                CommandField::Agent => slot(&mut agent, "agent", &mut map)?,
                CommandField::Finding => slot(&mut finding, "finding", &mut map)?,
                CommandField::Token => slot(&mut token, "token", &mut map)?,
            }
        }
        let missing = |field: &'static str| A::Error::missing_field(field);
        let kind: CommandType = kind.ok_or_else(|| missing("type"))?;
        let At(at) = at.ok_or_else(|| missing("at"))?;
        let stray = match kind {
            CommandType::Finding => token.is_some().then_some(("token", "finding")),
            CommandType::Decision => (agent.is_some().then_some("agent"))
                .or(finding.is_some().then_some("finding"))
                .map(|field| (field, "decision")),
        };
        if let Some((field, name)) = stray {
            return Err(A::Error::custom(format_args!(
                "unknown field `{field}` in a {name} command"
            )));
        }
        Ok(match kind {
            CommandType::Finding => Command::Finding {
                at,
                agent: agent.ok_or_else(|| missing("agent"))?,
                finding: finding.ok_or_else(|| missing("finding"))?,
            },
            CommandType::Decision => Command::Decision {
                at,
                token: token.ok_or_else(|| missing("token"))?,
            },
        })
    }
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
            message: field_error(line).unwrap_or_else(|| e.to_string()),
        })
    }

    /// The command's time.
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Command::Finding { at, .. } | Command::Decision { at, .. } => *at,
        }
    }
}

/// Re-reads one part of a command, returning the path and the error if it does not parse.
type PartCheck = fn(&serde_json::Value) -> Result<(), String>;

/// Names the field a command fails on. serde reads an internally tagged enum's fields without
/// their path, so a bad `finding.source.system` would only say "expected a string": the
/// command's parts are re-read on their own, with their path tracked, to say which.
fn field_error(line: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    let object = value.as_object()?;
    let parts: &[(&str, PartCheck)] = match object.get("type")?.as_str()? {
        "finding" => &[("agent", part::<Agent>), ("finding", part::<FindingInput>)],
        _ => &[],
    };
    parts.iter().find_map(|(name, check)| {
        let at = object.get(*name)?;
        check(at).err().map(|e| format!("field `{name}{e}"))
    })
}

fn part<T: serde::de::DeserializeOwned>(value: &serde_json::Value) -> Result<(), String> {
    serde_path_to_error::deserialize::<_, T>(value.clone())
        .map(drop)
        .map_err(|e| {
            let path = e.path().to_string();
            let path = if path == "." {
                String::new()
            } else {
                format!(".{path}")
            };
            format!("{path}`: {}", e.inner())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_nested_field_is_named() {
        let line = r#"{"type": "finding", "at": "2026-11-28T12:00:00Z", "agent": {"role": "custody-evidence", "id": "a"},
            "finding": {"fact": "custody.exposure", "value": "suspected",
                        "source": {"system": 7, "record": "r", "digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000"}}}"#;
        let Err(Rejection::InvalidJson { message }) = Command::from_json(line) else {
            panic!("accepted");
        };
        assert!(
            message.starts_with("field `finding.source.system`"),
            "{message}"
        );
        assert!(message.contains("expected a string"), "{message}");
        let line = line.replace(r#""role": "custody-evidence", "#, "");
        let Err(Rejection::InvalidJson { message }) = Command::from_json(&line) else {
            panic!("accepted");
        };
        assert!(
            message.contains("field `agent`") && message.contains("role"),
            "{message}"
        );
    }
}
