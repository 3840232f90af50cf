//! The commands that need no case: `evaluate`, `schema`, and the demo's output.

use crate::*;
use authority_lane::ErrorCode;

pub(crate) fn evaluate(workflow: &Path, facts: &Path) -> Result<(), Failure> {
    let workflow = load_workflow(workflow)?;
    let raw = read_json(facts, "facts file")?;
    let input: FactsInput = serde_json::from_value(raw).map_err(|e| {
        Failure::new(
            ErrorCode::InvalidJson,
            format!(
                "facts file {} must be {{\"facts\": {{\"<fact>\": <value>, ...}}}}: {e}",
                facts.display()
            ),
        )
    })?;
    let typed = workflow
        .parse_facts(&input.facts)
        .map_err(|e| Failure::new(e.code(), e.to_string()))?;
    print_json(&assess(&workflow, &typed))
}

/// Every schema the CLI publishes: the library's documents and the CLI's own outputs.
pub(crate) fn published_schemas() -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = authority_lane::schema::all()
        .into_iter()
        .map(|(name, text)| (name.to_owned(), text))
        .collect();
    for (name, schema) in output::schemas() {
        all.push((
            name.to_owned(),
            authority_lane::schema::finish(name, schema),
        ));
    }
    all
}

/// `schema --out DIR | --check DIR [--workflow FILE]`: the published schemas, or with
/// `--workflow` the schemas narrowed to that workflow (facts file, commands, token claims).
pub(crate) fn schema(
    out: Option<&Path>,
    check: Option<&Path>,
    workflow: Option<&Path>,
) -> Result<(), Failure> {
    let schemas = match workflow {
        Some(path) => authority_lane::schema::workflow::all(&load_workflow(path)?),
        None => published_schemas(),
    };
    match (out, check) {
        (Some(dir), None) => {
            std::fs::create_dir_all(dir).map_err(|e| {
                Failure::new(
                    ErrorCode::Io,
                    format!("cannot create {}: {e}", dir.display()),
                )
            })?;
            for (name, text) in &schemas {
                let path = dir.join(name);
                std::fs::write(&path, text).map_err(|e| {
                    Failure::new(
                        ErrorCode::Io,
                        format!("cannot write {}: {e}", path.display()),
                    )
                })?;
            }
            Ok(())
        }
        (None, Some(dir)) => check_schemas(dir, &schemas),
        _ => Err(Failure::new(
            ErrorCode::Usage,
            "give exactly one of --out DIR or --check DIR",
        )),
    }
}

fn check_schemas(dir: &Path, schemas: &[(String, String)]) -> Result<(), Failure> {
    let mut drifted = Vec::new();
    for (name, text) in schemas {
        let path = dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(found) if &found == text => {}
            Ok(_) => drifted.push(format!(
                "{} differs from the generated schema",
                path.display()
            )),
            Err(e) => drifted.push(format!("{} is missing or unreadable: {e}", path.display())),
        }
    }
    if drifted.is_empty() {
        return Ok(());
    }
    Err(Failure::new(
        ErrorCode::SchemaDrift,
        format!(
            "{}; regenerate with `authority-lane schema --out {}`",
            drifted.join("; "),
            dir.display()
        ),
    ))
}

/// `demo`: the shipped scenario in memory (`location` None), in a journal file (the trust file
/// and keys beside it), or as a new case in a store (the trust file and keys in the working
/// directory, named by the case).
pub(crate) fn demo(location: Option<Location>, format: DemoFormat) -> Result<(), Failure> {
    // The scenario spans about an hour of supplied times; it starts two hours ago so that every
    // record's time of record is in the past when `verify` reads the clock (a time of record
    // ahead of the verifier's clock is `future_record`, DESIGN §12.7).
    let declared_at = Utc::now() - chrono::Duration::hours(2);
    let fail = |e: demo::DemoError| match e {
        demo::DemoError::Store(s) => store_failure(s),
        other => Failure::new(ErrorCode::DemoFailed, other.to_string()),
    };
    let clock = Clock::Supplied(declared_at);
    let Some(location) = location else {
        let run = demo::run(declared_at, demo::CASE_ID, |w, t, token| {
            CaseStore::<MemoryJournal>::in_memory(w, t, token, clock)
        })
        .map_err(fail)?;
        return print_demo(&run, format);
    };
    match location.place()? {
        Place::File(path) => {
            let run = demo::run(declared_at, demo::CASE_ID, |w, t, token| {
                CaseStore::create_file(path, w, t, token, clock)
            })
            .map_err(fail)?;
            keep_demo(
                &run,
                &path.with_extension("trust.json"),
                &path.with_extension("keys"),
                &format!("--journal {}", path.display()),
            )?;
            print_demo(&run, format)
        }
        #[cfg(feature = "postgres")]
        Place::Postgres { url, case } => {
            let case = case.unwrap_or(demo::CASE_ID);
            plain_file_name(case)?;
            let backend = crate::journal::connect(url, Some(case))?;
            let run = demo::run(declared_at, case, |w, t, token| {
                CaseStore::create(backend, w, t, token, clock)
            })
            .map_err(fail)?;
            keep_demo(
                &run,
                Path::new(&format!("{case}.trust.json")),
                Path::new(&format!("{case}.keys")),
                &format!("--store {} --case {case}", crate::journal::shown(url)),
            )?;
            print_demo(&run, format)
        }
    }
}

/// The demo names its trust file and keys after a store's case id, in the working directory:
/// an id that is not one plain file name (a `/`, a `\\`, `.`, `..`, a leading `.`, a control
/// character) would put private keys elsewhere (DESIGN §12.10), so it is refused before
/// anything is written.
fn plain_file_name(case: &str) -> Result<(), Failure> {
    let plain = !case.is_empty()
        && !case.starts_with('.')
        && !case.contains(['/', '\\'])
        && !case.chars().any(char::is_control);
    if plain {
        return Ok(());
    }
    Err(Failure::new(
        ErrorCode::Usage,
        format!(
            "demo --case {case:?}: the demo writes {{ID}}.trust.json and {{ID}}.keys/ in the working directory, so the case id must be a plain file name (no `/`, `\\`, leading `.` or control characters)"
        ),
    ))
}

/// Creates or replaces a demo file at `path` readable by `mode`, never through a symbolic link
/// planted there.
fn write_private(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options
            .mode(mode)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    let _ = mode;
    let mut file = options.open(path)?;
    std::io::Write::write_all(&mut file, bytes)
}

/// Writes the demo's trust file and keys and says how to verify the case kept at `location`
/// (the `--journal …` or `--store … --case …` arguments).
fn keep_demo<S: Backend>(
    run: &demo::DemoRun<S>,
    trust: &Path,
    keys: &Path,
    location: &str,
) -> Result<(), Failure> {
    write_demo_trust(trust, &run.store.case().shared().1)?;
    write_demo_keys(keys, &run.keys)?;
    eprintln!(
        "demo: case written; verify it with: authority-lane verify {location} --trust {} --workflow workflows/signing-key-compromise.json",
        trust.display()
    );
    Ok(())
}

/// The demo's keys are generated at run time: it writes the trust file they belong to at
/// `path` (beside the journal, `case.jsonl` → `case.trust.json`) so that the case can be
/// verified.
pub(crate) fn write_demo_trust(path: &Path, trust: &Trust) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(trust.file()).map_err(|e| {
        Failure::new(
            ErrorCode::Internal,
            format!("cannot serialise the trust file: {e}"),
        )
    })?;
    write_private(path, (text + "\n").as_bytes(), 0o644).map_err(|e| {
        Failure::new(
            ErrorCode::Io,
            format!("cannot write the demo's trust file {}: {e}", path.display()),
        )
    })
}

/// The demo's private keys, one PKCS#8 PEM file a principal, in directory `dir` (beside the
/// journal, `case.jsonl` → `case.keys/`; readable by the owner only), so that the case's people
/// can sign more tokens (`examples/python/mint_token.py sign case.keys/<id>.pem …`). Demo keys
/// only: never commit them.
pub(crate) fn write_demo_keys(dir: &Path, keys: &[demo::DemoKey]) -> Result<(), Failure> {
    use base64::Engine as _;
    let io = |e: std::io::Error| {
        Failure::new(
            ErrorCode::Io,
            format!("cannot write the demo's keys to {}: {e}", dir.display()),
        )
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    for key in keys {
        // RFC 8410 §7: PKCS#8 of an Ed25519 private key is this fixed prefix and the seed.
        let mut der = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        der.extend_from_slice(&key.seed);
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(&der)
        );
        let path = dir.join(format!("{}.pem", key.principal));
        write_private(&path, pem.as_bytes(), 0o600).map_err(io)?;
        #[cfg(unix)]
        {
            // A key file left by an earlier run keeps its mode on truncation: owner only.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
        }
    }
    eprintln!(
        "demo: the people's private keys are in {}/ (<principal>.pem, kid <first name>-demo); demo keys only, never commit them",
        dir.display()
    );
    Ok(())
}

pub(crate) fn print_demo<S: Backend>(
    run: &demo::DemoRun<S>,
    format: DemoFormat,
) -> Result<(), Failure> {
    let packet = run.packet().ok_or_else(|| {
        Failure::new(
            ErrorCode::DemoFailed,
            "the demo did not reach closed/accepted",
        )
    })?;
    let channel = run
        .store
        .case()
        .workflow()
        .default_channel()
        .ok_or_else(|| {
            Failure::new(
                ErrorCode::DemoFailed,
                "the shipped workflow declares no channel",
            )
        })?;
    let view = packet.view(channel);
    match format {
        DemoFormat::Json => print_json(&output::DemoOutput {
            steps: &run.steps,
            packet: view.to_json(),
        }),
        DemoFormat::Markdown => {
            let mut text = String::new();
            for (i, s) in run.steps.iter().enumerate() {
                text.push_str(&format!(
                    "{:>2}. [{}] lane={} rev={} — {}\n",
                    i + 1,
                    s.path,
                    s.lane,
                    s.revision,
                    s.what
                ));
            }
            text.push('\n');
            text.push_str(&render::packet_markdown(&view, "Recommendation packet"));
            emit(&text)
        }
    }
}
