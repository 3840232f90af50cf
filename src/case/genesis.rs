//! Record 0 of a journal: the declaration that opened the case ([`Genesis`], what the case
//! keeps) and its journal form ([`GenesisRecord`]: the declaration plus the copies of the
//! workflow and trust file it was opened under, and the supplied-clock mark).

use super::ClockMark;
use crate::approval::TrustFile;
use crate::digest::Digest;
use crate::ids::{CaseId, PrincipalId};
use crate::workflow::WorkflowSpec;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Record 0 of a journal: what the case was opened with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// Always `declaration`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The case id (the declaration token's `sub`).
    pub case_id: CaseId,
    /// The workflow id.
    pub workflow_id: String,
    /// Digest the workflow must have on replay.
    pub workflow_digest: Digest,
    /// Digest the trust file must have on replay.
    pub trust_digest: Digest,
    /// The declaration's time.
    pub at: DateTime<Utc>,
    /// The declaring principal.
    pub issuer: PrincipalId,
    /// The declaration token (re-verified on replay).
    pub token: String,
    /// Its digest.
    pub token_digest: Digest,
}

/// The event of record 0 exactly as a journal holds it (`genesis.schema.json`): the
/// [`Genesis`] fields, the workflow and trust file the case was opened under (a writer's
/// convenience: a relying party replays under its own copies, DESIGN §12.1), and
/// `"clock": "supplied"` when the time of record was supplied.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GenesisRecord {
    /// Always `declaration`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The case id (the declaration token's `sub`).
    pub case_id: CaseId,
    /// The workflow id.
    pub workflow_id: String,
    /// Digest the workflow must have on replay.
    pub workflow_digest: Digest,
    /// Digest the trust file must have on replay.
    pub trust_digest: Digest,
    /// The declaration's time: record 0's time of record.
    #[serde(deserialize_with = "crate::time::de")]
    pub at: DateTime<Utc>,
    /// The declaring principal.
    pub issuer: PrincipalId,
    /// The declaration token (re-verified on replay).
    pub token: String,
    /// Its digest.
    pub token_digest: Digest,
    /// The workflow the case was opened under; its digest must be `workflow_digest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<WorkflowSpec>,
    /// The trust file the case was opened under; its digest must be `trust_digest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust: Option<TrustFile>,
    /// Present when the time of record was supplied, not read from the writer's clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<ClockMark>,
}

impl GenesisRecord {
    /// Record 0 for `genesis`, embedding the documents the case was opened under.
    pub fn new(
        genesis: &Genesis,
        workflow: WorkflowSpec,
        trust: TrustFile,
        clock: Option<ClockMark>,
    ) -> GenesisRecord {
        let Genesis {
            kind,
            case_id,
            workflow_id,
            workflow_digest,
            trust_digest,
            at,
            issuer,
            token,
            token_digest,
        } = genesis.clone();
        GenesisRecord {
            kind,
            case_id,
            workflow_id,
            workflow_digest,
            trust_digest,
            at,
            issuer,
            token,
            token_digest,
            workflow: Some(workflow),
            trust: Some(trust),
            clock,
        }
    }

    /// Splits the record into the declaration and what was embedded beside it.
    pub fn into_parts(
        self,
    ) -> (
        Genesis,
        Option<WorkflowSpec>,
        Option<TrustFile>,
        Option<ClockMark>,
    ) {
        let GenesisRecord {
            kind,
            case_id,
            workflow_id,
            workflow_digest,
            trust_digest,
            at,
            issuer,
            token,
            token_digest,
            workflow,
            trust,
            clock,
        } = self;
        let genesis = Genesis {
            kind,
            case_id,
            workflow_id,
            workflow_digest,
            trust_digest,
            at,
            issuer,
            token,
            token_digest,
        };
        (genesis, workflow, trust, clock)
    }
}
