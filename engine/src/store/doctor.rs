//! `Store::doctor`: a read-only health check of a store — SQLite's own integrity and foreign
//! key checks, the row accounting of every import, and the change log against the rows it
//! describes. It reports problems; it never repairs anything.

use rusqlite::params;

use super::{Error, Store};

/// One thing `doctor` found wrong.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// Which check found it: `integrity`, `foreign-keys`, `accounting` or `change-log`.
    pub check: &'static str,
    /// What is wrong, naming the import or row.
    pub detail: String,
}

/// What `doctor` checked and found.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Health {
    /// Imports whose accounting was checked.
    pub imports: usize,
    /// Change-log entries checked.
    pub changes: usize,
    /// Everything found wrong; empty when the store is healthy.
    pub problems: Vec<Problem>,
}

impl Store {
    /// Checks the store without changing it (see the module doc).
    pub fn doctor(&self) -> Result<Health, Error> {
        let q = |op| Error::query(&self.path, op);
        let mut health = Health::default();
        let mut problem = |check, detail: String| health.problems.push(Problem { check, detail });

        let integrity: Vec<String> = self
            .conn
            .prepare("PRAGMA integrity_check")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(q("run the integrity check"))?;
        for line in integrity.into_iter().filter(|l| l != "ok") {
            problem("integrity", line);
        }

        let orphans: Vec<(String, i64, String)> = self
            .conn
            .prepare("PRAGMA foreign_key_check")
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get(0)?, r.get(1).unwrap_or(0), r.get(2)?)))?
                    .collect()
            })
            .map_err(q("check the foreign keys"))?;
        for (table, rowid, parent) in orphans {
            problem(
                "foreign-keys",
                format!("{table} row {rowid} refers to a missing {parent} row"),
            );
        }

        // rows = results + rejected + skipped for every committed import, and its results are
        // the interactions it still has; an undone or failed import has none left.
        let imports: Vec<(i64, String, i64, i64, i64, i64, i64)> = self
            .conn
            .prepare(
                "SELECT i.id, i.status, i.rows, i.results, i.rejected, i.skipped,
                        (SELECT count(*) FROM interactions n WHERE n.import_id = i.id)
                 FROM imports i ORDER BY i.id",
            )
            .and_then(|mut s| {
                s.query_map([], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                })?
                .collect()
            })
            .map_err(q("read the imports"))?;
        for (id, status, rows, results, rejected, skipped, stored) in &imports {
            if status == "committed" {
                if rows != &(results + rejected + skipped) {
                    problem(
                        "accounting",
                        format!(
                            "import {id}: rows {rows} != results {results} + rejected {rejected} + skipped {skipped}"
                        ),
                    );
                }
                if stored != results {
                    problem(
                        "accounting",
                        format!(
                            "import {id}: {results} results recorded but {stored} interactions stored"
                        ),
                    );
                }
            } else if *stored != 0 {
                problem(
                    "accounting",
                    format!("import {id} is {status} but still has {stored} interactions"),
                );
            }
        }
        health.imports = imports.len();

        // Every change names a contact that exists, made by an import that committed (or was
        // undone, whose changes undo keeps as its record).
        let changes: i64 = self
            .conn
            .query_row("SELECT count(*) FROM changes", [], |r| r.get(0))
            .map_err(q("count the change log"))?;
        health.changes = usize::try_from(changes).unwrap_or(0);
        let bad: Vec<(i64, i64, String, i64)> = self
            .conn
            .prepare(
                "SELECT c.id, c.import_id, c.action, c.row_id FROM changes c
                 LEFT JOIN imports i ON i.id = c.import_id
                 WHERE c.table_name = 'contacts'
                   AND (i.status IN ('running', 'failed')
                        OR (i.status = 'committed'
                            AND NOT EXISTS (SELECT 1 FROM contacts k WHERE k.id = c.row_id)))
                 ORDER BY c.id",
            )
            .and_then(|mut s| {
                s.query_map(params![], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })?
                .collect()
            })
            .map_err(q("check the change log"))?;
        for (id, import, action, row) in bad {
            problem(
                "change-log",
                format!(
                    "change {id} ({action} contact {row} by import {import}) describes a contact or an import that is not there"
                ),
            );
        }
        Ok(health)
    }
}
