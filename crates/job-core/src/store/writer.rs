// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Group commit for the SQLite store: one thread owns the write connection, takes every write
//! queued so far, runs each in a savepoint of one transaction, commits once, then answers. Under
//! load a commit carries hundreds of writes; alone, a write costs what it did. An answer is sent
//! only after the commit, so a 202 never names a job that a crash could lose.

use std::sync::mpsc;

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::oneshot;

use super::{JobStoreError, Result};

const MAX_BATCH: usize = 512;

pub(super) trait Op: Send {
    fn run(self: Box<Self>, conn: &Connection, cap: u64) -> Box<dyn Reply>;
    fn fail(self: Box<Self>, why: String);
}

pub(super) trait Reply: Send {
    fn ok(&self) -> bool;
    fn send(self: Box<Self>, failed: Option<String>);
}

pub(super) struct Call<T, F> {
    pub f: F,
    pub tx: oneshot::Sender<Result<T>>,
}

struct Done<T> {
    r: Result<T>,
    tx: oneshot::Sender<Result<T>>,
}

impl<T, F> Op for Call<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection, u64) -> Result<T> + Send + 'static,
{
    fn run(self: Box<Self>, conn: &Connection, cap: u64) -> Box<dyn Reply> {
        let r = (self.f)(conn, cap);
        Box::new(Done { r, tx: self.tx })
    }

    fn fail(self: Box<Self>, why: String) {
        let _ = self.tx.send(Err(JobStoreError::Commit(why)));
    }
}

impl<T: Send> Reply for Done<T> {
    fn ok(&self) -> bool {
        self.r.is_ok()
    }

    fn send(self: Box<Self>, failed: Option<String>) {
        let r = match failed {
            Some(why) if self.r.is_ok() => Err(JobStoreError::Commit(why)),
            _ => self.r,
        };
        let _ = self.tx.send(r);
    }
}

/// Runs until every sender is gone.
pub(super) fn run(mut conn: Connection, cap: u64, ops: mpsc::Receiver<Box<dyn Op>>) {
    while let Ok(first) = ops.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match ops.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(tx) => tx,
            Err(e) => {
                for op in batch {
                    op.fail(e.to_string());
                }
                continue;
            }
        };
        let mut replies: Vec<(Box<dyn Reply>, Option<String>)> = Vec::with_capacity(batch.len());
        for op in batch {
            // A savepoint per write: one that fails is undone alone, the others still commit.
            // Through the statement cache: rusqlite's `savepoint()` parses SAVEPOINT and RELEASE
            // again for every write, ~40k instructions each (docs/performance.md).
            if let Err(e) = step(&tx, "SAVEPOINT w") {
                op.fail(e.to_string());
                continue;
            }
            let reply = op.run(&tx, cap);
            let failed = if reply.ok() {
                step(&tx, "RELEASE w").err().map(|e| e.to_string())
            } else {
                // As rusqlite's Savepoint does on drop: undo it, then leave it.
                let _ = step(&tx, "ROLLBACK TO w");
                let _ = step(&tx, "RELEASE w");
                None
            };
            replies.push((reply, failed));
        }
        let commit = tx.commit().err().map(|e| e.to_string());
        for (reply, failed) in replies {
            reply.send(failed.or_else(|| commit.clone()));
        }
    }
}

fn step(conn: &Connection, sql: &str) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute([])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call<T: Send + 'static>(
        ops: &mpsc::Sender<Box<dyn Op>>,
        f: impl FnOnce(&Connection, u64) -> Result<T> + Send + 'static,
    ) -> oneshot::Receiver<Result<T>> {
        let (tx, rx) = oneshot::channel();
        ops.send(Box::new(Call { f, tx })).unwrap();
        rx
    }

    /// Writes queued together share one commit; one that fails after writing is undone alone.
    #[test]
    fn a_failed_write_is_undone_alone_and_the_batch_commits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.sqlite3");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE t (v TEXT)").unwrap();
        let (ops, rx) = mpsc::channel::<Box<dyn Op>>();
        // Queued before the writer starts, so all of them land in one batch.
        let a = call(
            &ops,
            |c, _| Ok(c.execute("INSERT INTO t VALUES ('a')", [])?),
        );
        let bad = call(&ops, |c, _| {
            c.execute("INSERT INTO t VALUES ('undone')", [])?;
            Err::<usize, _>(JobStoreError::Corrupt("refused".into()))
        });
        let b = call(
            &ops,
            |c, _| Ok(c.execute("INSERT INTO t VALUES ('b')", [])?),
        );
        drop(ops);
        run(conn, 0, rx);
        assert!(a.blocking_recv().unwrap().is_ok());
        assert!(bad.blocking_recv().unwrap().is_err());
        assert!(b.blocking_recv().unwrap().is_ok());
        let check = Connection::open(&path).unwrap();
        let mut stmt = check.prepare("SELECT v FROM t ORDER BY v").unwrap();
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(rows, ["a", "b"]);
    }
}
