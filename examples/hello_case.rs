//! The smallest embedding: a case in memory, agents' findings, two signed reviews and a signed
//! acceptance, each command the JSON line an integration sends. `cargo run --example hello_case`
use authority_lane::{CaseId, CaseStore, Clock, Command, Digest, testing::Cast, workflow};
use serde_json::{Value, from_str, from_value, json};

/// What the agents found: (agent, fact, value).
const FOUND: &str = r#"[[{"role": "custody-evidence", "id": "a1"}, "custody.exposure", "suspected"],
    [{"role": "authority-matrix", "id": "a2"}, "authority.platform_delegation", "active"],
    [{"role": "release-lineage", "id": "a3"}, "lineage.desktop_agent_artifacts_in_window", 3]]"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (people, t) = (Cast::generate()?, "2026-11-28T09:00:00Z");
    let case = CaseId::from("hello");
    let (trust, clock) = (people.trust().clone().into(), Clock::Supplied(t.parse()?));
    let declared = people.declaration(&case, t.parse()?);
    let mut store = CaseStore::in_memory(workflow::shipped(), trust, &declared, clock)?;
    // Each finding cites the record the agent read, by digest.
    for (agent, fact, value) in from_str::<Vec<(Value, String, Value)>>(FOUND)? {
        let source = json!({"system": "siem", "record": "r1", "digest": Digest::of_bytes(b"r1")});
        let finding = json!({"fact": fact, "value": value, "source": source});
        let line = json!({"type": "finding", "at": t, "agent": agent, "finding": finding});
        store.submit_one(Command::from_json(&line.to_string())?)?;
    }
    // Reviewers sign the digest of the draft they were shown; then the lane's owner accepts.
    let (case_now, digest) = (store.case(), store.case().draft_digest().ok_or("no draft")?);
    let attests = &case_now.workflow().review().attestations;
    let review = json!({"kind": "review", "packet_digest": digest, "attests": attests});
    let lane = case_now.recommended_lane();
    let accept = json!({"kind": "accept", "lane": lane, "packet_digest": digest});
    let signers = ["lee.park", "ines.duarte", "marcus.chen"];
    for (who, decision) in signers.into_iter().zip([&review, &review, &accept]) {
        let token = people.token(who, &case, t.parse()?, from_value(decision.clone())?);
        let line = json!({"type": "decision", "at": t, "token": token});
        store.submit_one(Command::from_json(&line.to_string())?)?;
    }
    let packet = store.packet().ok_or("not accepted")?;
    println!("{} by {}", store.case().path(), packet.accepted_by());
    Ok(())
}
