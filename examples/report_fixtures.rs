//! Writes the report fixture set (DESIGN §17): `cargo run --features testing --example
//! report_fixtures -- DIR [N]` writes N (default 24) journals of varied shapes into DIR, one
//! `<case id>.jsonl` each, and the trust file that signed them as `DIR/trust.json`. Then
//! `authority-lane report --dir DIR --format html > report.html`.

use authority_lane::testing::{Cast, fixtures};
use std::sync::Arc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().ok_or("usage: report_fixtures DIR [N]")?);
    let n: usize = args.next().map_or(Ok(24), |n| n.parse())?;
    std::fs::create_dir_all(&dir)?;
    let trust = Arc::new(Cast::fixed().trust().clone());
    std::fs::write(
        dir.join("trust.json"),
        serde_json::to_string_pretty(trust.file())?,
    )?;
    for f in fixtures::report_fixtures(n) {
        let path = dir.join(format!("{}.jsonl", f.id));
        // A fixture set is regenerated whole: an old journal would refuse a new record 0.
        for side in ["", ".lineage", ".snapshot", ".lock"] {
            let _ = std::fs::remove_file(format!("{}{side}", path.display()));
        }
        f.write(&path, trust.clone())?;
    }
    println!("{n} journals and trust.json in {}", dir.display());
    Ok(())
}
