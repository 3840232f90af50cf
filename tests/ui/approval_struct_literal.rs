//! An `Approval` cannot be built outside the crate: its fields are private.
use authority_lane::approval::{Approval, Review};
use authority_lane::digest::Digest;
use authority_lane::ids::{CaseId, KeyId, PrincipalId};
use chrono::{DateTime, Utc};

#[allow(clippy::too_many_arguments)]
fn forge(
    issuer: PrincipalId,
    kid: KeyId,
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    jti: String,
    token: String,
    token_digest: Digest,
    case_id: CaseId,
    decision: Review,
) -> Approval<Review> {
    Approval {
        issuer,
        kid,
        issued_at,
        expires_at,
        jti,
        token,
        token_digest,
        case_id,
        decision,
    }
}

fn main() {
    let _ = forge;
}
