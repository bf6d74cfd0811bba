// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The Lua scripts, each with lib.lua in front (Redis scripts cannot share functions). redis-rs
//! calls them by SHA and loads them again after a Redis restart emptied its script cache.

use redis::aio::ConnectionManager;
use redis::Script;

const LIB: &str = include_str!("lua/lib.lua");

fn script(body: &str) -> Script {
    Script::new(&format!("{LIB}\n{body}"))
}

pub struct Scripts {
    pub submit: Script,
    pub touch: Script,
    pub start: Script,
    pub heartbeat: Script,
    pub finish: Script,
    pub cancel: Script,
    pub reap: Script,
    pub leave: Script,
    pub append: Script,
    pub events: Script,
    pub output: Script,
    pub set_pid: Script,
    pub purge: Script,
    pub lost: Script,
    pub epoch: Script,
}

impl Scripts {
    pub fn new() -> Self {
        Self {
            submit: script(include_str!("lua/submit.lua")),
            touch: script(include_str!("lua/touch.lua")),
            start: script(include_str!("lua/start.lua")),
            heartbeat: script(include_str!("lua/heartbeat.lua")),
            finish: script(include_str!("lua/finish.lua")),
            cancel: script(include_str!("lua/cancel.lua")),
            reap: script(include_str!("lua/reap.lua")),
            leave: script(include_str!("lua/leave.lua")),
            append: script(include_str!("lua/append.lua")),
            events: script(include_str!("lua/events.lua")),
            output: script(include_str!("lua/output.lua")),
            set_pid: script(include_str!("lua/set_pid.lua")),
            purge: script(include_str!("lua/purge.lua")),
            lost: script(include_str!("lua/lost.lua")),
            epoch: script(include_str!("lua/epoch.lua")),
        }
    }

    fn all(&self) -> [&Script; 15] {
        [
            &self.submit,
            &self.touch,
            &self.start,
            &self.heartbeat,
            &self.finish,
            &self.cancel,
            &self.reap,
            &self.leave,
            &self.append,
            &self.events,
            &self.output,
            &self.set_pid,
            &self.purge,
            &self.lost,
            &self.epoch,
        ]
    }

    /// At start: a Redis that cannot compile them (no scripting, a proxy that refuses EVAL)
    /// fails here, before anything runs.
    pub async fn load(&self, conn: &mut ConnectionManager) -> redis::RedisResult<()> {
        for s in self.all() {
            s.load_async(conn).await?;
        }
        Ok(())
    }
}
