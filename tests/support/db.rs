//! A fresh PostgreSQL database per test, on the server `pg::url()` names, dropped (best
//! effort) with the value. Include beside `support/pg.rs`.

use super::pg;

/// A database of its own for one test.
pub struct Db {
    admin: String,
    name: String,
    /// `postgres://…/NAME`.
    pub url: String,
}

impl Db {
    /// Creates it.
    pub fn fresh() -> Db {
        let server = pg::url();
        let name = pg::unique("al").replace('-', "_");
        let mut admin = postgres::Client::connect(&server, postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot connect to the test server: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
        Db {
            url: format!("{base}/{name}"),
            admin: server.clone(),
            name,
        }
    }

    /// A client on the database, as the server's administrator (for the attacker's SQL).
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).unwrap()
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
