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
