//! The HTML pages and the report (DESIGN §17), from outside: every value renders as text (the
//! tag-and-attribute skeleton of a page is the same whatever the strings in its view), a page
//! carries nothing its channel may not, the statechart lights the case's state, and `report`
//! measures the fixture set and refuses what it cannot read. The real-browser checks (DOM,
//! network, accessibility) are `.ci/check_html.py`; the independent computation of the report's
//! figures is `.ci/check_report.py`.

#![cfg(feature = "testing")]

use crate::markdown_injection::{PAYLOADS, replace_strings, views};
use crate::support::{self, run};
use authority_lane::case::Leaf;
use authority_lane::render::packet_html;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// Every tag of a page in order, with its attribute names (not values): what a value would
/// change if it could open an element or an attribute. `<style>`'s body is skipped.
fn skeleton(html: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').expect("every tag closes");
        let tag = &rest[..end];
        let name: String = tag
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '/' || out.is_empty() && *c == '!')
            .collect();
        let name = if name.is_empty() {
            tag.chars().take_while(|c| !c.is_whitespace()).collect()
        } else {
            name
        };
        // Attribute names: what precedes each `="` (values hold no `"`: they are escaped).
        let mut attrs = Vec::new();
        let mut t = tag;
        while let Some(eq) = t.find("=\"") {
            let before = &t[..eq];
            attrs.push(
                before
                    .rsplit(|c: char| c.is_whitespace())
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            );
            let after = &t[eq + 2..];
            let close = after.find('"').expect("every attribute value closes");
            t = &after[close + 1..];
        }
        rest = &rest[end + 1..];
        if name == "style" {
            let close = rest.find("</style>").expect("the stylesheet closes");
            rest = &rest[close..];
        }
        out.push((name, attrs));
    }
    out
}

fn assert_text_only(benign: &str, attacked: &str, payload: &str) {
    let (want, got) = (skeleton(benign), skeleton(attacked));
    assert_eq!(
        want.len(),
        got.len(),
        "payload {payload:?} changed the number of tags"
    );
    for (w, g) in want.iter().zip(&got) {
        assert_eq!(w, g, "payload {payload:?} changed a tag");
    }
    let lower = attacked.to_lowercase();
    for raw in ["<script", "<img", "<a ", "<iframe", "<base", "javascript:"] {
        if raw == "javascript:" {
            // As text it may appear; never as an attribute value (there are no links at all).
            assert!(!lower.contains("href="), "payload {payload:?} made a link");
            continue;
        }
        assert!(
            !lower.contains(raw),
            "payload {payload:?} reached the page raw"
        );
    }
    assert_eq!(lower.matches("<meta http-equiv").count(), 1);
    assert!(
        !attacked.chars().any(|c| c.is_control() && c != '\n'
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202e}' | '\u{2066}')),
        "payload {payload:?} left an invisible character in the page"
    );
}

#[test]
fn every_view_string_renders_as_text() {
    for view in views() {
        let benign = packet_html(&replace_strings(&view, "x"), "Packet", Leaf::Accepted);
        for payload in PAYLOADS {
            let attacked = packet_html(&replace_strings(&view, payload), "Packet", Leaf::Accepted);
            assert_text_only(&benign, &attacked, payload);
        }
        // And the title.
        let real = packet_html(&view, "Packet", Leaf::Accepted);
        for payload in PAYLOADS {
            assert_text_only(&real, &packet_html(&view, payload, Leaf::Accepted), payload);
        }
    }
}

#[test]
fn benign_words_keep_the_real_skeleton() {
    for view in views() {
        let real = packet_html(&view, "Packet", Leaf::Accepted);
        let benign = packet_html(&replace_strings(&view, "x"), "Packet", Leaf::Accepted);
        let (real, benign) = (skeleton(&real), skeleton(&benign));
        let first = real.iter().zip(&benign).position(|(r, b)| r != b);
        assert!(
            first.is_none() && real.len() == benign.len(),
            "the skeletons part at tag {first:?}: {:?}",
            first.map(|i| (
                &real[i.saturating_sub(6)..i + 1],
                &benign[i.saturating_sub(6)..i + 1]
            ))
        );
    }
}

/// Every string in `v` of at least six characters.
fn strings(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::String(s) if s.chars().count() >= 6 => {
            out.insert(s.clone());
        }
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Object(map) => map.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

fn cli(args: &[&str]) -> String {
    support::ok(&run(args, None))
}

/// The HTML's text with the escapes undone that `esc` makes, for a leak scan.
fn unescaped(html: &str) -> String {
    html.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[test]
fn each_channel_page_shows_its_view_and_nothing_more() {
    let dir = tempfile::tempdir().expect("temp dir");
    let j = dir.path().join("demo.jsonl");
    let journal = j.to_str().expect("utf-8 path");
    cli(&["demo", "--journal", journal]);
    let trust = dir.path().join("demo.trust.json");
    let pins = [
        "--trust",
        trust.to_str().expect("utf-8 path"),
        "--workflow",
        "workflows/signing-key-compromise.json",
    ];
    let view = |channel: &str, format: &str| {
        let mut args = vec![
            "packet",
            "--journal",
            journal,
            "--channel",
            channel,
            "--format",
            format,
        ];
        args.extend(pins);
        cli(&args)
    };
    let mut full = BTreeSet::new();
    strings(
        &serde_json::from_str(&view("security-trust-review", "json")).expect("JSON"),
        &mut full,
    );
    for channel in [
        "security-trust-review",
        "executive-brief",
        "authority-selection",
    ] {
        let json: Value = serde_json::from_str(&view(channel, "json")).expect("JSON");
        let html = view(channel, "html");
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains(&format!(r#"data-channel="{channel}""#)));
        assert!(html.contains(r#"data-state="accepted""#));
        assert_eq!(html.matches("state leaf current").count(), 1);
        assert!(html.contains(r#"class="state leaf current" data-state="accepted""#));
        let lane = json["recommended_lane"].as_str().expect("a lane");
        assert!(html.contains(&format!(r#"data-lane="{lane}" data-status="recommended""#)));
        let options = json["options"].as_array().expect("options");
        assert_eq!(html.matches("data-option=").count(), options.len());
        for o in options {
            assert!(html.contains(&format!(
                r#"data-option="{}" data-boundary="{}" data-reversibility="{}""#,
                o["id"].as_str().expect("id"),
                o["boundary"].as_str().expect("boundary"),
                o["reversibility"].as_str().expect("reversibility")
            )));
        }
        let mut mine = BTreeSet::new();
        strings(&json, &mut mine);
        let text = unescaped(&html);
        // The renderer's own words (the statechart's labels, headings) are not the case's.
        let chrome = unescaped(&authority_lane::render::status_html(
            &authority_lane::testing::Harness::new().case.status(),
            0,
            &authority_lane::Digest::of_bytes(b""),
        ));
        for withheld in full
            .difference(&mine)
            .filter(|w| !chrome.contains(w.as_str()))
        {
            assert!(
                !text.contains(withheld.as_str()),
                "{channel} shows {withheld:?}, which its JSON view withholds"
            );
        }
        if channel == "authority-selection" {
            assert!(
                !html.contains("data-approval="),
                "no approvals in this channel"
            );
            assert!(!html.contains(r#"id="timeline""#));
        } else {
            assert!(html.contains(r#"data-approval="accept""#));
            assert!(
                html.contains(r#"data-status="carried""#),
                "the demo carries a sign-off"
            );
        }
    }
    // The first revision's packet lights accepted too, and names revision 1.
    let mut args = vec![
        "packet",
        "--journal",
        journal,
        "--revision",
        "1",
        "--format",
        "html",
    ];
    args.extend(pins);
    let first = cli(&args);
    assert!(first.contains(r#"data-revision="1""#));
    let status = cli(&["status", "--journal", journal, "--format", "html"]);
    assert!(status.contains(r#"data-kind="status""#));
    assert!(status.contains(r#"class="state leaf current" data-state="accepted""#));
}

/// Writes the fixture set into `dir` as journals.
fn write_fixtures(dir: &Path, n: usize) {
    use authority_lane::testing::{Cast, fixtures};
    let trust = std::sync::Arc::new(Cast::fixed().trust().clone());
    for f in fixtures::report_fixtures(n) {
        f.write(&dir.join(format!("{}.jsonl", f.id)), trust.clone())
            .expect("a fixture's journal is written");
    }
}

#[test]
fn report_measures_the_fixture_set() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_fixtures(dir.path(), 24);
    let d = dir.path().to_str().expect("utf-8 path");
    let report: Value = serde_json::from_str(&cli(&["report", "--dir", d])).expect("JSON");
    let cases = report["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 24);
    assert_eq!(report["across"]["cases"], 24);
    let state = |id: &str| {
        cases
            .iter()
            .find(|c| c["case_id"].as_str().is_some_and(|c| c.starts_with(id)))
            .cloned()
            .expect("the case is in the report")
    };
    assert_eq!(state("fx-04")["state"], "stood_down");
    assert!(state("fx-04").get("first_draft_at").is_none());
    assert_eq!(
        state("fx-08")["revisions"],
        0,
        "no draft, no decision put to the owner"
    );
    let reopened = state("fx-05");
    assert_eq!(
        (
            reopened["revisions"].as_u64(),
            reopened["reopenings"].as_u64()
        ),
        (Some(2), Some(1))
    );
    let accepted: Vec<(u64, String)> = reopened["acceptances"]
        .as_array()
        .expect("acceptances")
        .iter()
        .map(|a| {
            (
                a["revision"].as_u64().unwrap(),
                a["lane"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        accepted,
        [
            (1, "executive-cyber-command".to_owned()),
            (2, "legal-trust-office".to_owned())
        ]
    );
    assert_eq!(state("fx-03")["voided_signoffs"], 1);
    assert_eq!(state("fx-06")["carried_signoffs"], 1);
    assert_eq!(state("fx-07")["redirects"]["set_lane"], 1);
    assert_eq!(state("fx-07")["lane_changes"][0]["cause"], "redirect");
    let platform = state("fx-01");
    let (draft, quorum, accepted) = (
        platform["to_first_draft_ms"].as_u64().expect("drafted"),
        platform["to_quorum_ms"].as_u64().expect("quorum"),
        platform["to_acceptance_ms"].as_u64().expect("accepted"),
    );
    assert!(draft < quorum && quorum < accepted);
    assert_eq!(report["across"]["by_state"]["accepted"], 14);
    assert_eq!(report["across"]["to_acceptance_ms"]["n"], 14);

    let html = cli(&["report", "--dir", d, "--format", "html"]);
    assert!(html.contains(r#"data-kind="report""#));
    assert_eq!(html.matches("<tr data-case=").count(), 24);
    assert!(!html.to_lowercase().contains("<script"));

    // The same cases named one by one give the same report (but for their order).
    let mut args = vec!["report".to_owned()];
    for c in cases.iter().rev() {
        args.push("--journal".into());
        args.push(c["source"].as_str().expect("source").to_owned());
    }
    let named: Value = serde_json::from_str(&support::ok(&run(&args, None))).expect("JSON");
    assert_eq!(named["across"], report["across"]);
}

#[test]
fn report_refuses_what_it_cannot_measure() {
    support::failed_with(&run(&["report"], None), 2, "usage");
    let dir = tempfile::tempdir().expect("temp dir");
    write_fixtures(dir.path(), 2);
    // A rewritten record in one journal stops the report, naming the journal.
    let victim = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .expect("a journal");
    for side in [".lineage", ".snapshot"] {
        let _ = std::fs::remove_file(format!("{}{side}", victim.display()));
    }
    let text = std::fs::read_to_string(&victim).expect("journal");
    std::fs::write(&victim, text.replacen("suspected", "confirmed", 1)).expect("rewrite");
    let out = run(
        &["report", "--dir", dir.path().to_str().expect("utf-8")],
        None,
    );
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&victim.display().to_string()), "{err}");
}
