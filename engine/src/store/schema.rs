//! The store's schema: an ordered list of SQL migrations, applied by `PRAGMA user_version`.
//!
//! Migration `n` (1-based) brings a store from `user_version = n - 1` to `n`. A released
//! migration is never edited: a schema change is a new script appended to [`MIGRATIONS`].
//! Every table and column carries a comment, so `sqlite3 store.db .schema` documents the store.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::Error;

/// `PRAGMA application_id` of a sluice store ("SLCE"), so a file can be told apart from the
/// `SQLite` database of another application.
pub(crate) const APPLICATION_ID: i64 = 0x534C_4345;

/// The schema version this build writes and understands (the number of migrations).
pub const SCHEMA_VERSION: i64 = 6;

/// The migrations, oldest first; `MIGRATIONS[n - 1]` produces schema version `n`.
pub(crate) const MIGRATIONS: [&str; 6] = [V1, V2, V3, V4, V5, V6];

/// Schema version 1: imports, contacts, interactions, pledges, exceptions and the change log.
const V1: &str = r"
CREATE TABLE imports (  -- one row per run of `sluice import` on one file, whatever its outcome
    id            INTEGER PRIMARY KEY,            -- the import id shown by `sluice imports`
    name          TEXT NOT NULL,                  -- the import's name
    description   TEXT,                           -- free text; NULL when not given
    pipeline      TEXT NOT NULL,                  -- the pipeline's name
    pipeline_hash TEXT NOT NULL,                  -- SHA-256 (hex) of the pipeline configuration that ran
    timezone      TEXT NOT NULL,                  -- IANA timezone the file's dates were read in
    member_code   TEXT,                           -- the import-wide member code; NULL when none
    file_name     TEXT NOT NULL,                  -- the imported file's name
    file_sha256   TEXT NOT NULL,                  -- SHA-256 (lowercase hex) of the file's bytes
    columns_json  TEXT NOT NULL DEFAULT '[]'      -- the file's original header: a JSON array of strings
                  CHECK (json_valid(columns_json)),
    status        TEXT NOT NULL DEFAULT 'running' -- running, committed, failed or undone
                  CHECK (status IN ('running', 'committed', 'failed', 'undone')),
    rows          INTEGER NOT NULL DEFAULT 0 CHECK (rows >= 0),      -- data rows in the file
    results       INTEGER NOT NULL DEFAULT 0 CHECK (results >= 0),   -- interactions created
    rejected      INTEGER NOT NULL DEFAULT 0 CHECK (rejected >= 0),  -- rows not imported
    flagged       INTEGER NOT NULL DEFAULT 0 CHECK (flagged >= 0),   -- rows imported with a warning
    skipped       INTEGER NOT NULL DEFAULT 0 CHECK (skipped >= 0),   -- rows deliberately skipped
    error         TEXT,                           -- why a failed import failed; NULL otherwise
    started_at    TEXT NOT NULL,                  -- UTC, YYYY-MM-DDTHH:MM:SSZ
    finished_at   TEXT                            -- UTC, when it committed or failed; NULL before
);
CREATE INDEX imports_file_sha256 ON imports (file_sha256);

CREATE TABLE contacts (  -- one row per person or organization; '' (never NULL) means unknown
    id             INTEGER PRIMARY KEY,
    contact_type   TEXT NOT NULL DEFAULT '',      -- individual or organization
    first_name     TEXT NOT NULL DEFAULT '',      -- for an organization: its name
    last_name      TEXT NOT NULL DEFAULT '',
    suffix         TEXT NOT NULL DEFAULT '',      -- Jr., III ...
    address        TEXT NOT NULL DEFAULT '',      -- primary address, on one line
    email          TEXT NOT NULL DEFAULT '',      -- primary email
    phone          TEXT NOT NULL DEFAULT '',      -- primary phone
    employer       TEXT NOT NULL DEFAULT '',
    occupation     TEXT NOT NULL DEFAULT '',
    created_import INTEGER REFERENCES imports (id), -- the import that created it; NULL if none did
    created_at     TEXT NOT NULL                  -- UTC, YYYY-MM-DDTHH:MM:SSZ
);
CREATE INDEX contacts_created_import ON contacts (created_import);

CREATE TABLE interactions (  -- one row per call, email, meeting ... with a contact: one per imported row
    id          INTEGER PRIMARY KEY,
    import_id   INTEGER NOT NULL REFERENCES imports (id),  -- the import that created it
    contact_id  INTEGER NOT NULL REFERENCES contacts (id), -- whom it was with
    row_number  INTEGER NOT NULL,                 -- its row in the imported file, as the exceptions report numbers rows
    kind        TEXT NOT NULL                     -- the interaction type
                CHECK (kind IN ('Call', 'Email', 'Text', 'Meeting', 'Thank', 'App', 'Mail')),
    occurred_at TEXT NOT NULL,                    -- when it happened, UTC ISO-8601
    member_code TEXT,                             -- a tag, e.g. '2024 Cycle' or a candidate's name
    call_result TEXT,                             -- e.g. spoke, pledge, left message, no answer
    notes       TEXT                              -- free text
);
CREATE INDEX interactions_contact ON interactions (contact_id);
CREATE INDEX interactions_import ON interactions (import_id);

CREATE TABLE pledges (  -- a promise of money made during an interaction (at most one per interaction)
    id             INTEGER PRIMARY KEY,
    interaction_id INTEGER NOT NULL UNIQUE REFERENCES interactions (id), -- the interaction it was made in
    import_id      INTEGER NOT NULL REFERENCES imports (id),   -- the import that created it
    contact_id     INTEGER NOT NULL REFERENCES contacts (id),  -- who pledged: the interaction's contact
    amount_cents   INTEGER NOT NULL CHECK (amount_cents > 0),  -- the amount, in cents
    commitment     TEXT,                          -- how firm the pledge is, as given
    expected_date  TEXT,                          -- when the money is expected, as given
    source_code    TEXT                           -- the solicitation's source code
);
CREATE INDEX pledges_contact ON pledges (contact_id);
CREATE INDEX pledges_import ON pledges (import_id);

CREATE TABLE import_exceptions (  -- the exceptions report: every rejected or flagged row of an import
    import_id    INTEGER NOT NULL REFERENCES imports (id),
    row_number   INTEGER NOT NULL,                -- the row in the imported file
    status       TEXT NOT NULL                    -- rejected (not imported) or flagged (imported; check it)
                 CHECK (status IN ('rejected', 'flagged')),
    reasons_json TEXT NOT NULL                    -- why: a JSON array of sentences a person can act on
                 CHECK (json_valid(reasons_json)),
    values_json  TEXT NOT NULL                    -- the row's original values: a JSON array aligned
                 CHECK (json_valid(values_json)), -- with imports.columns_json
    PRIMARY KEY (import_id, row_number)
);

CREATE TABLE changes (  -- the change log: what each import did to contacts, so it can be undone
    id         INTEGER PRIMARY KEY,               -- increasing in the order the changes were made
    import_id  INTEGER NOT NULL REFERENCES imports (id), -- the import that made the change
    table_name TEXT NOT NULL,                     -- the table changed: contacts
    row_id     INTEGER NOT NULL,                  -- the id of the row changed in that table
    action     TEXT NOT NULL                      -- create (new row), fill (an empty field got a
               CHECK (action IN ('create', 'fill', 'replace')), -- value), replace (overwritten)
    field      TEXT,                              -- the column changed; NULL for create
    old_value  TEXT,                              -- the value before; NULL for create
    new_value  TEXT                               -- the value after; NULL for create
);
CREATE INDEX changes_import ON changes (import_id);
CREATE INDEX changes_row ON changes (table_name, row_id);
";

/// Schema version 2: the record of undone imports.
const V2: &str = r"
CREATE TABLE undos (  -- one row per import undone by `sluice undo`; the import's status is then undone
    id           INTEGER PRIMARY KEY,
    import_id    INTEGER NOT NULL UNIQUE REFERENCES imports (id), -- the import undone
    requested_id INTEGER NOT NULL REFERENCES imports (id), -- the import named on the command line: itself,
                                                  -- or the one whose `undo --cascade` undid this later one
    interactions INTEGER NOT NULL CHECK (interactions >= 0), -- interactions removed
    pledges      INTEGER NOT NULL CHECK (pledges >= 0),      -- pledges removed
    contacts     INTEGER NOT NULL CHECK (contacts >= 0),     -- contacts removed: created by it, used by nothing else
    restored     INTEGER NOT NULL CHECK (restored >= 0),     -- contact fields given back their earlier value
    kept         INTEGER NOT NULL CHECK (kept >= 0),         -- fields left alone: changed again since the import
    undone_at    TEXT NOT NULL                  -- UTC, YYYY-MM-DDTHH:MM:SSZ
);
";

/// Schema version 3: each row's match decision, and the extra emails and phones of contacts.
const V3: &str = r"
CREATE TABLE match_decisions (  -- how each imported or ambiguous row was matched to a contact
    import_id       INTEGER NOT NULL REFERENCES imports (id),
    row_number      INTEGER NOT NULL,             -- the row in the imported file
    decision        TEXT NOT NULL                 -- matched (an existing contact), new (created),
                    CHECK (decision IN ('matched', 'new', 'same-as-row', 'review', 'ambiguous')),
                                                  -- same-as-row (the contact an earlier row of this
                                                  -- file created), review (created; looked like a
                                                  -- candidate), ambiguous (several candidates)
    contact_id      INTEGER,                      -- the row's contact; NULL when the row was rejected.
                                                  -- No foreign key: undo may remove the contact
    score           REAL,                         -- the best candidate's score in [0, 1]; NULL without one
    reasons_json    TEXT NOT NULL                 -- the matcher's evidence for the best candidate:
                    CHECK (json_valid(reasons_json)), -- a JSON array of strings
    candidates_json TEXT NOT NULL                 -- the candidates considered, best first:
                    CHECK (json_valid(candidates_json)), -- objects with contact and score
    PRIMARY KEY (import_id, row_number)
);

CREATE TABLE contact_values (  -- further emails and phones of a contact, kept instead of lost
    id         INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL,                  -- the contact (no foreign key: undo may remove it)
    field      TEXT NOT NULL CHECK (field IN ('email', 'phone')), -- the contacts column it belongs to
    value      TEXT NOT NULL,                     -- the value, as imported
    import_id  INTEGER NOT NULL REFERENCES imports (id), -- the import that brought it
    UNIQUE (contact_id, field, value)
);
CREATE INDEX contact_values_import ON contact_values (import_id);
";

/// Schema version 4: the files `sluice watch` picked up, so each is imported exactly once.
const V4: &str = r"
CREATE TABLE watched_files (  -- one row per file `sluice watch` handled; an imported file's row is
                              -- written in the same transaction as the import's data
    id          INTEGER PRIMARY KEY,
    path        TEXT NOT NULL,                    -- where the file was when it was picked up (absolute)
    size        INTEGER NOT NULL CHECK (size >= 0), -- its size in bytes then
    mtime_ns    INTEGER NOT NULL,                 -- its modification time then, ns since 1970-01-01 UTC
    sha256      TEXT NOT NULL,                    -- SHA-256 (lowercase hex) of its bytes
    import_id   INTEGER REFERENCES imports (id),  -- the import that read it (for a duplicate: the earlier
                                                  -- import of the same bytes); NULL if none was recorded
    outcome     TEXT NOT NULL                     -- imported, duplicate (same bytes imported before: nothing
                CHECK (outcome IN ('imported', 'duplicate', 'failed')), -- done) or failed (nothing imported)
    error       TEXT,                             -- why it failed; NULL otherwise
    moved_to    TEXT,                             -- where it was moved afterwards; NULL while left in place
    recorded_at TEXT NOT NULL                     -- UTC, YYYY-MM-DDTHH:MM:SSZ
);
CREATE INDEX watched_files_path ON watched_files (path, size, mtime_ns);
CREATE INDEX watched_files_import ON watched_files (import_id);
";

/// Schema version 5: a contact's address in parts, beside the one-line `address`.
///
/// The comments are `/* */`: `ALTER TABLE` copies a column's definition into the table's SQL,
/// where a `--` comment would swallow the closing parenthesis.
const V5: &str = r"
ALTER TABLE contacts ADD COLUMN address_line1 TEXT NOT NULL DEFAULT '' /* street and number; the address parts are '' or describe `address` */;
ALTER TABLE contacts ADD COLUMN address_line2 TEXT NOT NULL DEFAULT '' /* apartment, suite ... */;
ALTER TABLE contacts ADD COLUMN city TEXT NOT NULL DEFAULT '' /* city or town */;
ALTER TABLE contacts ADD COLUMN state TEXT NOT NULL DEFAULT '' /* state or province */;
ALTER TABLE contacts ADD COLUMN zip TEXT NOT NULL DEFAULT '' /* zip or postal code */;
";

/// Schema version 6: the matcher's estimated parameters, and households.
const V6: &str = r"
CREATE TABLE matcher_models (  -- the parameters a matcher estimated from this store, used by every
                               -- import until the store has grown noticeably or the matcher changed
    matcher     TEXT NOT NULL,                    -- the matcher plugin's name
    version     TEXT NOT NULL,                    -- its version + the first 12 hex digits of its build's SHA-256
    params_hash TEXT NOT NULL,                    -- SHA-256 (hex) of its parameters as configured
    model       TEXT NOT NULL,                    -- the parameters, in the matcher's own text form
    contacts    INTEGER NOT NULL CHECK (contacts >= 0), -- contacts in the store when estimated
    import_id   INTEGER REFERENCES imports (id),  -- the import whose rows it was estimated from
    estimated_at TEXT NOT NULL,                   -- UTC, YYYY-MM-DDTHH:MM:SSZ
    PRIMARY KEY (matcher, version, params_hash)
);
ALTER TABLE contacts ADD COLUMN household_id INTEGER /* the contact whose household this one joined (another first name at its address or phone); NULL when none */;
CREATE INDEX contacts_household ON contacts (household_id);
ALTER TABLE match_decisions ADD COLUMN household_id INTEGER /* the household the row's new contact joined; NULL when none */;
";

/// Brings the store to [`SCHEMA_VERSION`], one migration per transaction.
///
/// A store that is already current is only read, so opening a store that another process is
/// importing into does not wait for it. Versions are re-read under the write lock, so two
/// processes opening a new store at once migrate it once.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), Error> {
    let found = check_version(conn, path)?;
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    let migrate_err = |version: i64| {
        move |source: rusqlite::Error| {
            Error::from_sqlite(source, path, |source| Error::Migrate {
                path: path.to_path_buf(),
                version,
                source,
            })
        }
    };
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(migrate_err(found + 1))?;
    let found = check_version(&tx, path)?;
    for (version, script) in (1..).zip(MIGRATIONS) {
        if version <= found {
            continue;
        }
        tx.execute_batch(script).map_err(migrate_err(version))?;
        tx.pragma_update(None, "user_version", version)
            .map_err(migrate_err(version))?;
        if version == 1 {
            tx.pragma_update(None, "application_id", APPLICATION_ID)
                .map_err(migrate_err(version))?;
        }
    }
    tx.commit().map_err(migrate_err(SCHEMA_VERSION))
}

/// Reads the schema version and refuses stores this build cannot or must not touch.
fn check_version(conn: &Connection, path: &Path) -> Result<i64, Error> {
    let read = |pragma: &str| {
        conn.pragma_query_value(None, pragma, |row| row.get::<_, i64>(0))
            .map_err(|source| Error::from_open(source, path))
    };
    let found = read("user_version")?;
    let application_id = read("application_id")?;
    if found > SCHEMA_VERSION {
        return Err(Error::NewerSchema {
            path: path.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    let foreign = if found == 0 {
        // A new store is empty; a database with tables but no version belongs to someone else.
        application_id != 0 && application_id != APPLICATION_ID || {
            conn.query_row("SELECT count(*) FROM sqlite_schema", [], |row| {
                row.get::<_, i64>(0)
            })
            .map_err(|source| Error::from_open(source, path))?
                > 0
        }
    } else {
        application_id != APPLICATION_ID
    };
    if foreign {
        return Err(Error::ForeignDatabase {
            path: path.to_path_buf(),
        });
    }
    Ok(found)
}
