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
        let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
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
            let sp = match tx.savepoint() {
                Ok(sp) => sp,
                Err(e) => {
                    op.fail(e.to_string());
                    continue;
                }
            };
            let reply = op.run(&sp, cap);
            let failed = if reply.ok() {
                sp.commit().err().map(|e| e.to_string())
            } else {
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
