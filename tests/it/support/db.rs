//! A fresh PostgreSQL database per test, on the server `pg::url()` names, dropped (best
//! effort) with the value.

use super::pg;

/// A database of its own for one test.
pub struct Db {
    admin: String,
    name: String,
    /// `postgres://…/NAME`.
    pub url: String,
}

impl Db {
    /// Creates it on the test server ([`pg::url`]).
    pub fn fresh() -> Db {
        Db::on(&pg::url())
    }

    /// Creates it on `server`.
    pub fn on(server: &str) -> Db {
        let name = pg::unique("al").replace('-', "_");
        let mut admin = postgres::Client::connect(server, postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot connect to the test server: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let base = server.rsplit_once('/').map_or(server, |(b, _)| b);
        Db {
            url: format!("{base}/{name}"),
            admin: server.to_owned(),
            name,
        }
    }

    /// A client on the database, as the server's administrator (for the attacker's SQL).
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).unwrap()
    }

    /// `init` of a case in this database: the fixture's workflow and trust file, declared by
    /// SAM at `at` (which is also the supplied time of record).
    pub fn init(&self, fx: &super::Fixture, at: i64) -> std::process::Output {
        use super::{SAM, declare, run, token, ts};
        let token_file = fx.path("declare.jws");
        std::fs::write(&token_file, token(&SAM, at, declare())).unwrap();
        run(
            &[
                "init",
                "--workflow",
                fx.workflow.to_str().unwrap(),
                "--trust",
                fx.trust.to_str().unwrap(),
                "--token",
                token_file.to_str().unwrap(),
                "--at",
                &ts(at),
                "--store",
                &self.url,
            ],
            None,
        )
    }

    /// `--store URL --case CASE`.
    pub fn at(&self, case: &str) -> Vec<String> {
        vec![
            "--store".into(),
            self.url.clone(),
            "--case".into(),
            case.into(),
        ]
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}
