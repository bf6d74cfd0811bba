// TEMP stub for compiling job-service; replaced by h-store.
use std::time::Duration;
use async_trait::async_trait;
use super::*;
use crate::model::*;
pub struct RedisOptions { pub lease: Duration, pub ttl: Duration, pub stdout_cap: u64, pub block: Duration }
pub struct RedisStore;
impl RedisStore { pub async fn connect(_url: &str, _o: RedisOptions) -> Result<Self> { Err(StoreError::Commit("stub".into())) } }
#[async_trait]
impl Store for RedisStore {
    async fn submit(&self, _spec: JobSpec) -> Result<Submitted> { todo!() }
    async fn get(&self, _id: JobId) -> Result<Option<Job>> { todo!() }
    async fn list(&self, _q: ListQuery) -> Result<Page> { todo!() }
    async fn claim(&self, _worker: &str) -> Result<Option<Job>> { todo!() }
    async fn set_pid(&self, _id: JobId, _pid: u32, _start_time: u64) -> Result<()> { todo!() }
    async fn append_output(&self, _id: JobId, _chunk: Vec<u8>) -> Result<()> { todo!() }
    async fn output(&self, _id: JobId, _offset: u64, _max: usize) -> Result<Option<OutputSlice>> { todo!() }
    async fn append_events(&self, _id: JobId, _events: Vec<serde_json::Value>) -> Result<()> { todo!() }
    async fn events(&self, _id: JobId, _after: i64, _limit: usize) -> Result<Vec<Event>> { todo!() }
    async fn finish(&self, _id: JobId, _finish: Finish) -> Result<Option<Job>> { todo!() }
    async fn cancel(&self, _id: JobId) -> Result<Cancel> { todo!() }
    async fn recover(&self) -> Result<Vec<Lost>> { todo!() }
    async fn purge(&self, _ended_before: i64) -> Result<u64> { todo!() }
    async fn counts(&self) -> Result<Vec<(Status, u64)>> { todo!() }
}
