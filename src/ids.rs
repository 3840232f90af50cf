//! Identifier newtypes. Each names one kind of thing so that a lane can never be passed where a
//! fact is expected, and each serialises as a plain JSON string.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a string as this identifier.
            pub fn new(s: impl Into<String>) -> Self {
                Self(s.into())
            }
            /// The identifier as written.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    };
}

string_id!(
    /// A fact's key, e.g. `custody.exposure`.
    FactKey
);
string_id!(
    /// An authority lane, e.g. `executive-cyber-command`.
    LaneId
);
string_id!(
    /// A decision option, e.g. `broad-package-invalidation`.
    OptionId
);
string_id!(
    /// A named trigger rule, e.g. `E1`.
    RuleId
);
string_id!(
    /// A human principal in the trust file, e.g. `dana.okafor`.
    PrincipalId
);
string_id!(
    /// A role held by principals, e.g. `trust-reviewer`; lane ids double as the roles that hold them.
    RoleId
);
string_id!(
    /// The severe case's id (the `sub` of every token).
    CaseId
);
string_id!(
    /// A key id (`kid`) in the trust file.
    KeyId
);
string_id!(
    /// A submitting agent's role, e.g. `custody-evidence`.
    AgentRole
);
string_id!(
    /// A review channel, e.g. `executive-brief`.
    ChannelId
);
string_id!(
    /// An attestation a reviewer makes when signing off, e.g. `blocked_paths_surfaced`.
    Attestation
);

/// The grammar of principal ids and key ids in the trust file: ASCII only, a lowercase letter or
/// digit first, then up to 63 lowercase letters, digits, `.`, `_` or `-`.
pub const TRUST_NAME_PATTERN: &str = "[a-z0-9][a-z0-9._-]{0,63}";

/// Longest name [`check_trust_name`] accepts, in bytes (= characters, since only ASCII is allowed).
pub const TRUST_NAME_MAX_LEN: usize = 64;

/// Why a string does not match [`TRUST_NAME_PATTERN`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameFault {
    /// The string is empty.
    #[error("is empty")]
    Empty,
    /// The first character is not `a-z` or `0-9`.
    #[error("starts with {found:?} ({}); expected a-z or 0-9", found.escape_unicode())]
    BadStart {
        /// The offending character.
        found: char,
    },
    /// A later character is outside `a-z0-9._-` (uppercase, non-ASCII look-alikes, spaces, ...).
    #[error(
        "has {found:?} ({}) at byte {at}; expected a-z, 0-9, '.', '_' or '-'",
        found.escape_unicode()
    )]
    BadChar {
        /// The offending character.
        found: char,
        /// Its byte offset in the string.
        at: usize,
    },
    /// The string is longer than [`TRUST_NAME_MAX_LEN`].
    #[error("is {len} characters long; at most {TRUST_NAME_MAX_LEN} are allowed")]
    TooLong {
        /// The string's length.
        len: usize,
    },
}

/// Checks `s` against [`TRUST_NAME_PATTERN`], reporting the first fault.
pub fn check_trust_name(s: &str) -> Result<(), NameFault> {
    let mut chars = s.char_indices();
    let Some((_, first)) = chars.next() else {
        return Err(NameFault::Empty);
    };
    if !(first.is_ascii_lowercase() || first.is_ascii_digit()) {
        return Err(NameFault::BadStart { found: first });
    }
    if let Some((at, found)) = chars.find(|&(_, c)| {
        !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
    }) {
        return Err(NameFault::BadChar { found, at });
    }
    // Every character is ASCII by now, so bytes and characters agree.
    if s.len() > TRUST_NAME_MAX_LEN {
        return Err(NameFault::TooLong { len: s.len() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_names_that_match_the_pattern() {
        for ok in [
            "a",
            "0",
            "dana.okafor",
            "dana-2026",
            "x_y.z-1",
            "9lives",
            &"a".repeat(TRUST_NAME_MAX_LEN),
        ] {
            assert_eq!(check_trust_name(ok), Ok(()), "{ok:?}");
        }
    }

    #[test]
    fn trust_names_that_do_not_match_the_pattern() {
        assert_eq!(check_trust_name(""), Err(NameFault::Empty));
        for (bad, found) in [
            (".dana", '.'),
            ("-dana", '-'),
            ("_dana", '_'),
            ("Dana", 'D'),
            (" dana", ' '),
            ("еve", 'е'), // Cyrillic е
        ] {
            assert_eq!(
                check_trust_name(bad),
                Err(NameFault::BadStart { found }),
                "{bad:?}"
            );
        }
        for (bad, found, at) in [
            ("eve.exеc", 'е', 6), // Cyrillic е (U+0435) in place of the Latin e
            ("dana.Okafor", 'O', 5),
            ("dana okafor", ' ', 4),
            ("dana/okafor", '/', 4),
            ("dana\u{200b}", '\u{200b}', 4),
            ("dana\n", '\n', 4),
            ("dana:2026", ':', 4),
        ] {
            assert_eq!(
                check_trust_name(bad),
                Err(NameFault::BadChar { found, at }),
                "{bad:?}"
            );
        }
        let long = "a".repeat(TRUST_NAME_MAX_LEN + 1);
        assert_eq!(
            check_trust_name(&long),
            Err(NameFault::TooLong {
                len: TRUST_NAME_MAX_LEN + 1
            })
        );
        let msg = check_trust_name("eve.exеc").unwrap_err().to_string();
        assert!(msg.contains("\\u{435}") && msg.contains("byte 6"), "{msg}");
    }
}
