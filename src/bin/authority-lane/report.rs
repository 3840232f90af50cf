//! `report`: the seed's evaluation measures over many cases (DESIGN §17), each case replayed
//! from its journal (files, a directory of them, or every case of a PostgreSQL store).

use crate::*;
use authority_lane::report::{Report, Watch};

/// Where `report` finds its cases.
#[derive(clap::Args)]
pub(crate) struct Sources {
    /// A case's journal file (repeatable).
    #[arg(long = "journal", value_name = "PATH")]
    journals: Vec<PathBuf>,
    /// Every `*.jsonl` journal in DIR, by name.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Every case in a PostgreSQL store.
    #[arg(long, value_name = "URL")]
    store: Option<String>,
}

/// Every case the sources name, as the locations `read_case_each` takes: the journals in the
/// order given, then the directory's `*.jsonl` files by name, then the store's cases by id.
fn locations(sources: &Sources) -> Result<Vec<(Location, String)>, Failure> {
    let file = |p: &Path| {
        (
            Location {
                journal: Some(p.to_path_buf()),
                store: None,
                case: None,
            },
            p.display().to_string(),
        )
    };
    let mut out: Vec<(Location, String)> = sources.journals.iter().map(|p| file(p)).collect();
    if let Some(dir) = &sources.dir {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| unreadable(&format!("directory {}", dir.display()), &e))?;
        let mut paths = Vec::new();
        for entry in entries {
            let path = entry
                .map_err(|e| unreadable(&format!("directory {}", dir.display()), &e))?
                .path();
            if path.extension().is_some_and(|x| x == "jsonl") {
                paths.push(path);
            }
        }
        paths.sort();
        out.extend(paths.iter().map(|p| file(p)));
    }
    if let Some(url) = &sources.store {
        out.extend(store_cases(url)?);
    }
    if out.is_empty() {
        return Err(Failure::new(
            ErrorCode::Usage,
            "report needs cases: --journal PATH (repeatable), --dir DIR (its *.jsonl files) or --store URL (every case in it)",
        ));
    }
    Ok(out)
}

#[cfg(feature = "postgres")]
fn store_cases(url: &str) -> Result<Vec<(Location, String)>, Failure> {
    let mut backend = connect(url, None)?;
    let ids = backend.case_ids().map_err(|e| store_failure(e.into()))?;
    Ok(ids
        .into_iter()
        .map(|id| {
            let source = format!("store:{id}");
            (
                Location {
                    journal: None,
                    store: Some(url.to_owned()),
                    case: Some(id),
                },
                source,
            )
        })
        .collect())
}

#[cfg(not(feature = "postgres"))]
fn store_cases(_url: &str) -> Result<Vec<(Location, String)>, Failure> {
    Err(Failure::new(
        ErrorCode::Usage,
        "--store: this build has no PostgreSQL support (build with the `postgres` feature)",
    ))
}

/// Replays every case, watching each record, and prints the report. A case that does not
/// replay stops the report with its own error, naming where it was read: a report that left a
/// case out would understate what it measures.
pub(crate) fn report(sources: &Sources, pins: &Pins, format: ReportFormat) -> Result<(), Failure> {
    let mut cases = Vec::new();
    for (location, source) in locations(sources)? {
        let mut watch = Watch::new();
        let replay = read_case_each(&location, pins, None, |case| {
            watch.observe(case);
            Ok(())
        })
        .map_err(|f| Failure {
            message: format!("report: the case from {source}: {}", f.message),
            ..f
        })?;
        cases.push(watch.finish(&replay.case, source));
    }
    let report = Report::of(cases);
    match format {
        ReportFormat::Json => print_json(&report),
        ReportFormat::Html => emit(&render::report_html(&report)),
    }
}
