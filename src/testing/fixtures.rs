//! A fixture set of cases of varied shapes for `report` and the HTML pages (DESIGN §17): quick
//! acceptances in each lane, escalations during review, voided and carried sign-offs, redirects,
//! stand-downs from gathering and from a draft, reopenings after acceptance, and cases still
//! open in every open state. Deterministic: the fixed cast signs, times are drawn from a
//! seeded generator, so the same fixtures come out byte for byte on every machine.
//!
//! Each [`Fixture`] is a declaration and the commands that followed, each accepted in turn;
//! `examples/report_fixtures.rs` writes them as journals.

use super::{Cast, Harness};
use crate::approval::{Decision, Redirect, RedirectAction, StandDown};
use crate::case::{Case, Command};
use crate::ids::CaseId;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use std::sync::Arc;

/// One generated case: its declaration token and time, and its commands in order.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// The case id (also the journal's file stem).
    pub id: CaseId,
    /// The declaration's time of record.
    pub declared_at: DateTime<Utc>,
    /// The declaration token (by `sam.rivera` of [`Cast::fixed`]).
    pub declaration: String,
    /// The commands, each accepted by the case in turn.
    pub commands: Vec<Command>,
}

impl Fixture {
    /// Writes the case as a new journal at `path` under the shipped workflow and `trust` (the
    /// fixed cast's), each record at its command's time: what `report` reads.
    pub fn write(
        &self,
        path: &std::path::Path,
        trust: Arc<crate::approval::Trust>,
    ) -> Result<(), crate::store::StoreError> {
        use crate::store::{CaseStore, Clock};
        let mut store = CaseStore::create_file(
            path,
            crate::workflow::shipped(),
            trust,
            &self.declaration,
            Clock::Supplied(self.declared_at),
        )?;
        for command in &self.commands {
            store.set_clock(Clock::Supplied(command.at()));
            store.submit_one(command.clone())?;
        }
        Ok(())
    }
}

/// The shapes the set cycles through.
const SHAPES: [&str; 12] = [
    "platform",
    "executive",
    "escalated-in-review",
    "stood-down-gathering",
    "reopened",
    "carried",
    "redirected",
    "gathering",
    "in-review",
    "stood-down-drafted",
    "legal",
    "awaiting-acceptance",
];

/// `n` fixtures (24 covers every shape twice), case `i` declared `i` days after
/// 2026-11-01T08:00:00Z.
pub fn report_fixtures(n: usize) -> Vec<Fixture> {
    (0..n).map(fixture).collect()
}

/// A small deterministic generator (SplitMix64) for the gaps between commands.
struct Gaps(u64);

impl Gaps {
    /// Between `lo` and `hi` minutes.
    fn minutes(&mut self, lo: i64, hi: i64) -> Duration {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        let span = u64::try_from(hi - lo + 1).unwrap_or(1);
        Duration::minutes(lo + i64::try_from(z % span).unwrap_or(0))
    }
}

/// A case being written: the harness applies each command, and keeps it.
struct Writer {
    h: Harness,
    gaps: Gaps,
    commands: Vec<Command>,
}

impl Writer {
    /// Waits `lo..=hi` minutes, then applies what `make` builds.
    fn after(&mut self, lo: i64, hi: i64, make: impl FnOnce(&mut Harness) -> Command) {
        self.h.now += self.gaps.minutes(lo, hi);
        let cmd = make(&mut self.h);
        self.h.must(cmd.clone());
        self.commands.push(cmd);
    }

    fn finding(&mut self, fact: &str, value: Value) {
        self.after(2, 25, |h| h.finding(fact, value));
    }

    fn review(&mut self, who: &str) {
        self.after(3, 40, |h| h.review(who));
    }

    fn accept(&mut self, who: &str) {
        self.after(2, 30, |h| h.accept(who));
    }

    fn decide(&mut self, who: &str, d: Decision) {
        self.after(2, 20, |h| h.decision(who, d));
    }

    /// The required facts, putting the case in `lane` (a draft follows).
    fn draft(&mut self, lane: &str) {
        self.finding("custody.exposure", json!("suspected"));
        self.finding("authority.platform_delegation", json!("active"));
        let artifacts = if lane == "platform-security-command" {
            0
        } else {
            3
        };
        self.finding(
            "lineage.desktop_agent_artifacts_in_window",
            json!(artifacts),
        );
        if lane == "legal-trust-office" {
            self.finding("impact.contractual_disclosure_required", json!(true));
        }
    }

    fn quorum(&mut self) {
        self.review("lee.park");
        self.review("ines.duarte");
    }
}

fn fixture(i: usize) -> Fixture {
    let shape = SHAPES[i % SHAPES.len()];
    let id = CaseId::from(format!("fx-{:02}-{shape}", i + 1).as_str());
    let declared_at = "2026-11-01T08:00:00Z"
        .parse::<DateTime<Utc>>()
        .unwrap_or_else(|e| panic!("a fixed time parses: {e}"))
        + Duration::days(i as i64)
        + Duration::minutes((i as i64 * 37) % 600);
    let cast = Cast::fixed();
    let declaration = cast.declaration(&id, declared_at);
    let trust = Arc::new(cast.trust().clone());
    let case = Case::open(crate::workflow::shipped(), trust, &declaration, declared_at)
        .unwrap_or_else(|e| panic!("the fixed cast's sam.rivera declares: {e}"));
    let mut w = Writer {
        h: Harness {
            cast,
            case,
            now: declared_at,
        },
        gaps: Gaps(i as u64 + 1),
        commands: Vec::new(),
    };
    shape_of(&mut w, shape);
    Fixture {
        id,
        declared_at,
        declaration,
        commands: w.commands,
    }
}

fn shape_of(w: &mut Writer, shape: &str) {
    let stand_down = |reason: &str| {
        Decision::StandDown(StandDown {
            reason: reason.into(),
        })
    };
    match shape {
        "platform" => {
            w.draft("platform-security-command");
            w.quorum();
            w.accept("priya.natarajan");
        }
        "executive" => {
            w.draft("executive-cyber-command");
            w.quorum();
            w.accept("marcus.chen");
        }
        "legal" => {
            w.draft("legal-trust-office");
            w.quorum();
            w.accept("dana.okafor");
        }
        "escalated-in-review" => {
            w.draft("executive-cyber-command");
            w.review("lee.park");
            // Escalates the lane: the sign-off is voided.
            w.finding("impact.contractual_disclosure_required", json!(true));
            w.quorum();
            w.accept("dana.okafor");
        }
        "carried" => {
            w.draft("executive-cyber-command");
            w.review("lee.park");
            // Repeats a resolved value: the decision is unchanged, the sign-off carries.
            w.finding("custody.exposure", json!("suspected"));
            w.review("ines.duarte");
            w.accept("marcus.chen");
        }
        "reopened" => {
            w.draft("executive-cyber-command");
            w.quorum();
            w.accept("marcus.chen");
            w.finding("impact.contractual_disclosure_required", json!(true));
            w.quorum();
            w.accept("dana.okafor");
        }
        "redirected" => {
            w.draft("platform-security-command");
            let digest = w.h.case.assessment_digest();
            // The holder of the case's highest lane so far moves it up.
            w.decide(
                "priya.natarajan",
                Decision::Redirect(Redirect {
                    action: RedirectAction::SetLane {
                        lane: "executive-cyber-command".into(),
                        assessment_digest: digest,
                    },
                    reason: "customer trust is at stake whatever the lineage says".into(),
                }),
            );
            w.quorum();
            w.accept("marcus.chen");
        }
        "stood-down-gathering" => {
            w.finding("custody.exposure", json!("not_indicated"));
            w.decide("sam.rivera", stand_down("HSM audit shows no export"));
        }
        "stood-down-drafted" => {
            w.draft("platform-security-command");
            w.review("lee.park");
            w.decide("sam.rivera", stand_down("false alarm: a test partition"));
        }
        "gathering" => {
            w.finding("custody.exposure", json!("suspected"));
            w.finding("lineage.internal_packages_in_window", json!(12));
        }
        "in-review" => {
            w.draft("executive-cyber-command");
            w.review("lee.park");
        }
        _ => {
            // awaiting-acceptance
            w.draft("legal-trust-office");
            w.quorum();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Leaf;

    #[test]
    fn the_set_has_every_shape_and_ends_where_each_shape_says() {
        let set = report_fixtures(24);
        assert_eq!(set.len(), 24);
        for (i, f) in set.iter().enumerate() {
            let mut case = Case::open(
                crate::workflow::shipped(),
                Arc::new(Cast::fixed().trust().clone()),
                &f.declaration,
                f.declared_at,
            )
            .unwrap();
            for c in &f.commands {
                for e in case.decide(c, c.at()).unwrap() {
                    case.evolve(e).unwrap();
                }
            }
            let want = match SHAPES[i % SHAPES.len()] {
                "stood-down-gathering" | "stood-down-drafted" => Leaf::StoodDown,
                "gathering" => Leaf::Gathering,
                "in-review" => Leaf::InReview,
                "awaiting-acceptance" => Leaf::AwaitingAcceptance,
                _ => Leaf::Accepted,
            };
            assert_eq!(case.state(), want, "{}", f.id);
        }
        assert_eq!(
            report_fixtures(3)[2].commands.len(),
            set[2].commands.len(),
            "deterministic"
        );
    }
}
