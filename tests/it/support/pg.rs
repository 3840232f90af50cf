//! A real PostgreSQL server for the store tests — never a mock.
//!
//! [`server`] is the server named by `AUTHORITY_LANE_PG_URL` if it is set (CI sets it to the
//! machine's server), else a private throwaway cluster started from this machine's
//! `initdb`/`postgres` binaries in a temporary directory. [`Cluster::start`] always starts a
//! private one (for tests that stop and restart the server). With neither, the tests fail with
//! a message naming the package to install: they never skip silently.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// What to do when there is no PostgreSQL at all.
const NO_POSTGRES: &str = "the PostgreSQL store tests need a server: set AUTHORITY_LANE_PG_URL=postgres://USER@HOST[:PORT]/DB, \
     or install the Debian package `postgresql` (its initdb and postgres binaries start a private throwaway cluster)";

/// The server for tests that only need one: `AUTHORITY_LANE_PG_URL`, else a private cluster
/// shared by this test process.
pub fn url() -> String {
    static SHARED: OnceLock<(String, Option<Cluster>)> = OnceLock::new();
    SHARED
        .get_or_init(|| match std::env::var("AUTHORITY_LANE_PG_URL") {
            Ok(url) if !url.trim().is_empty() => (url, None),
            _ => {
                let cluster = Cluster::start();
                (cluster.url(), Some(cluster))
            }
        })
        .0
        .clone()
}

/// A unique case id for one test (the store is shared by every test and every run).
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A private PostgreSQL cluster in a temporary directory, listening on 127.0.0.1 on a free
/// port. A watchdog shell stops the server and removes the directory when the test process
/// exits, however it exits.
#[derive(Debug)]
pub struct Cluster {
    dir: PathBuf,
    port: u16,
    bin: PathBuf,
    server: Option<Child>,
}

fn find_bin() -> PathBuf {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut versions: Vec<PathBuf> = entries.flatten().map(|e| e.path().join("bin")).collect();
        versions.sort();
        candidates.extend(versions.into_iter().rev());
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path));
    }
    candidates
        .into_iter()
        .find(|dir| dir.join("initdb").is_file() && dir.join("postgres").is_file())
        .unwrap_or_else(|| panic!("{NO_POSTGRES}"))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// `program args…`, as the `postgres` user when we are root (initdb and postgres refuse root).
fn as_owner(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Cluster {
    /// Initialises and starts a private cluster; panics with [`NO_POSTGRES`] when the machine
    /// has no PostgreSQL binaries.
    pub fn start() -> Cluster {
        let bin = find_bin();
        let dir = std::env::temp_dir().join(format!(
            "authority-lane-pg-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        if is_root() {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            assert!(ok, "cannot hand {} to the postgres user", dir.display());
        }
        let out = as_owner(&bin.join("initdb"))
            .args(["-A", "trust", "-U", "root", "--no-sync", "-D"])
            .arg(dir.join("data"))
            .output()
            .unwrap_or_else(|e| panic!("{NO_POSTGRES} ({e})"));
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The watchdog: when this test process is gone, stop the server and clean up.
        let me = std::process::id();
        let script = format!(
            "while kill -0 {me} 2>/dev/null; do sleep 1; done; \
             {owner} '{pg_ctl}' stop -m immediate -D '{data}' >/dev/null 2>&1; rm -rf '{dir}'",
            owner = if is_root() {
                "runuser -u postgres --"
            } else {
                ""
            },
            pg_ctl = bin.join("pg_ctl").display(),
            data = dir.join("data").display(),
            dir = dir.display(),
        );
        // Deliberately not waited for: it outlives this process to clean up after it.
        #[allow(clippy::zombie_processes)]
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the cluster watchdog");
        let mut cluster = Cluster {
            dir,
            port: free_port(),
            bin,
            server: None,
        };
        cluster.run_server();
        cluster
    }

    fn run_server(&mut self) {
        let child = as_owner(&self.bin.join("postgres"))
            .arg("-D")
            .arg(self.dir.join("data"))
            .args([
                "-p",
                &self.port.to_string(),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
            ])
            .arg(format!("unix_socket_directories={}", self.dir.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{NO_POSTGRES} ({e})"));
        self.server = Some(child);
        self.wait_ready();
    }

    fn wait_ready(&self) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(60) {
            if postgres::Client::connect(&self.url(), postgres::NoTls).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the private PostgreSQL cluster did not start within 60 s");
    }

    /// `postgres://root@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://root@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server at once (an immediate shutdown: every connection cut, no checkpoint,
    /// crash recovery on the next start), then starts it again on the same data and port.
    pub fn crash_and_restart(&mut self) {
        self.kill();
        self.run_server();
    }

    fn kill(&mut self) {
        // Immediate shutdown: the postmaster kills every backend at once, no checkpoint; the
        // next start runs crash recovery.
        let _ = as_owner(&self.bin.join("pg_ctl"))
            .args(["stop", "-m", "immediate", "-w", "-D"])
            .arg(self.dir.join("data"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if let Some(mut child) = self.server.take() {
            let _ = child.wait();
        }
        // The postmaster's children die with it; give the port a moment.
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10)
            && std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok()
        {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
