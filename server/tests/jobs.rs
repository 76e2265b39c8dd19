//! The durable job queue at work: the welcome email a subscription records, retries and
//! giving up, a worker dying mid-job, and a job recorded before a `kill -9` running after the
//! restart (the real server binary, twice, on one database).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestDb;
use formwork::jobs::{JobCounts, NewJob, Queue, Retry};
use std::{
    io::{Read, Write},
    net::TcpStream,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicU32, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

/// Waits for `done` to hold, checking every 20 ms, for at most 20 s.
async fn eventually<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !done().await {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "never happened: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn config(args: &[&str]) -> server::config::Config {
    use clap::Parser;
    let mut argv = vec!["server"];
    argv.extend_from_slice(args);
    server::config::Config::try_parse_from(argv).unwrap()
}

#[tokio::test]
async fn a_subscription_sends_its_welcome_email_once_even_if_the_job_runs_twice() {
    let db = TestDb::sqlite().await;
    let stores = db.stores().await;
    assert!(stores
        .app
        .subscribe("ada@example.org", &common::welcome("ada@example.org"))
        .await
        .unwrap());
    let queue = server::jobs::queue(
        &stores,
        &config(&[]),
        &common::services(formwork::cache::DataCache::new()),
    );
    assert_eq!(queue.run_due().await.unwrap(), 1);
    let outbox = stores.app.outbox(10).await.unwrap();
    assert_eq!(outbox.len(), 1);
    let (job, email) = &outbox[0];
    assert_eq!(email.to, "ada@example.org");
    assert_eq!(email.subject, "Welcome to the Formwork newsletter");
    assert!(
        email.body.contains("you subscribed ada@example.org"),
        "{}",
        email.body
    );
    assert_eq!(stores.framework.jobs.counts().await.unwrap().done, 1);

    // The worker died after sending, before recording it: the job runs again, and the outbox
    // still holds one message for it.
    let email_again = app::newsletter::welcome::message("ada@example.org");
    assert!(!stores
        .app
        .write_to_outbox(*job, &email_again)
        .await
        .unwrap());
    assert_eq!(stores.app.outbox(10).await.unwrap().len(), 1);
    db.drop_database().await;
}

#[tokio::test]
async fn a_failing_job_is_retried_with_backoff_then_kept_as_dead() {
    let db = TestDb::sqlite().await;
    let stores = db.stores().await;
    let runs = Arc::new(AtomicU32::new(0));
    let queue = Queue::new(stores.framework.jobs.clone())
        .retry(Retry {
            max_attempts: 3,
            base: Duration::from_millis(30),
            cap: Duration::from_secs(1),
        })
        .handle("test.flaky", {
            let runs = runs.clone();
            move |job, (): ()| {
                let runs = runs.clone();
                async move {
                    runs.fetch_add(1, Ordering::SeqCst);
                    Err(format!("attempt {} failed", job.attempt))
                }
            }
        });
    let before = formwork::jobs::now_ms();
    stores
        .framework
        .jobs
        .enqueue(&NewJob::new("test.flaky", &()).unwrap(), before)
        .await
        .unwrap();
    assert_eq!(queue.run_due().await.unwrap(), 1);
    // Failed once: queued again, due only after the backoff. It failed after `before`, so at
    // `before` + 29 ms its 30 ms have not passed, whatever the clock says now.
    assert_eq!(stores.framework.jobs.counts().await.unwrap().queued, 1);
    assert!(
        stores
            .framework
            .jobs
            .claim(before + 29, before + 30, 10)
            .await
            .unwrap()
            .is_empty(),
        "the backoff holds it back"
    );
    eventually("the job was given up on", || async {
        queue.run_due().await.unwrap();
        stores.framework.jobs.counts().await.unwrap().dead == 1
    })
    .await;
    assert_eq!(runs.load(Ordering::SeqCst), 3, "three attempts, no more");
    assert_eq!(
        stores.framework.jobs.counts().await.unwrap(),
        JobCounts {
            dead: 1,
            ..JobCounts::default()
        }
    );
    db.drop_database().await;
}

#[tokio::test]
async fn jobs_that_can_never_succeed_are_dead_at_once() {
    let db = TestDb::sqlite().await;
    let stores = db.stores().await;
    let queue = server::jobs::queue(
        &stores,
        &config(&[]),
        &common::services(formwork::cache::DataCache::new()),
    );
    let now = formwork::jobs::now_ms();
    // No handler for the kind; a payload that is not a welcome.
    for job in [
        NewJob::new("nobody.handles.this", &()).unwrap(),
        NewJob {
            kind: app::newsletter::welcome::KIND,
            payload: r#"{"mail":"typo@example.org"}"#.into(),
        },
    ] {
        stores.framework.jobs.enqueue(&job, now).await.unwrap();
    }
    assert_eq!(queue.run_due().await.unwrap(), 2);
    assert_eq!(
        stores.framework.jobs.counts().await.unwrap(),
        JobCounts {
            dead: 2,
            ..JobCounts::default()
        }
    );
    assert!(stores.app.outbox(10).await.unwrap().is_empty());
    db.drop_database().await;
}

#[tokio::test]
async fn a_job_whose_worker_died_mid_run_is_run_again_after_its_lease() {
    let db = TestDb::sqlite().await;
    let stores = db.stores().await;
    let started = Arc::new(AtomicU32::new(0));
    // This worker never finishes its job, and is then killed.
    let stuck = Queue::new(stores.framework.jobs.clone())
        .lease(Duration::from_millis(300))
        .handle("test.slow", {
            let started = started.clone();
            move |_, (): ()| {
                started.fetch_add(1, Ordering::SeqCst);
                std::future::pending::<Result<(), String>>()
            }
        });
    let before = formwork::jobs::now_ms();
    stores
        .framework
        .jobs
        .enqueue(&NewJob::new("test.slow", &()).unwrap(), before)
        .await
        .unwrap();
    let worker = tokio::spawn(async move { stuck.run_due().await });
    eventually("the first worker took the job", || async {
        started.load(Ordering::SeqCst) == 1
    })
    .await;
    worker.abort();
    assert_eq!(stores.framework.jobs.counts().await.unwrap().running, 1);

    let finished = Arc::new(AtomicU32::new(0));
    let healthy = Queue::new(stores.framework.jobs.clone()).handle("test.slow", {
        let finished = finished.clone();
        move |job, (): ()| {
            let finished = finished.clone();
            async move {
                assert_eq!(job.attempt, 2, "the second attempt");
                finished.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        }
    });
    // Claimed after `before` for 300 ms: at `before` + 299 ms the lease still holds.
    assert!(
        stores
            .framework
            .jobs
            .claim(before + 299, before + 300, 10)
            .await
            .unwrap()
            .is_empty(),
        "not while the lease holds"
    );
    eventually("the job ran again", || async {
        healthy.run_due().await.unwrap();
        finished.load(Ordering::SeqCst) == 1
    })
    .await;
    assert_eq!(
        stores.framework.jobs.counts().await.unwrap(),
        JobCounts {
            done: 1,
            ..JobCounts::default()
        }
    );
    db.drop_database().await;
}

/// The real server binary on `db`, on a free port, running `workers` jobs at once.
struct Instance {
    child: Child,
    port: u16,
}

impl Instance {
    fn start(db: &TestDb, workers: u32) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_server"))
            .env("DATABASE_URL", db.url())
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_HASH_FILES", "false")
            .env("PUBLIC_ORIGIN", format!("http://127.0.0.1:{port}"))
            .env("JOB_WORKERS", workers.to_string())
            .env("JOB_POLL_MS", "50")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let instance = Self { child, port };
        let start = Instant::now();
        while instance.request("GET /healthz HTTP/1.1", "").is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        instance
    }

    /// Sends one request and returns the status line.
    fn request(&self, line: &str, body: &str) -> std::io::Result<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        write!(
            stream,
            "{line}\r\nHost: 127.0.0.1:{}\r\nSec-Fetch-Site: same-origin\r\nAccept: application/json\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            self.port,
            body.len()
        )?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        let status = answer.lines().next().unwrap_or_default().to_owned();
        if status.is_empty() {
            return Err(std::io::Error::other("no answer"));
        }
        Ok(status)
    }

    /// `kill -9`: no shutdown, no chance to finish anything.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

#[tokio::test]
async fn a_job_recorded_before_a_kill_runs_after_the_restart() {
    use app::newsletter::subscribe::Subscribe;
    use server_fn::ServerFn;

    let db = TestDb::sqlite().await;
    // This instance runs no jobs: the welcome is recorded, and waits.
    let first = Instance::start(&db, 0);
    let status = first
        .request(
            &format!("POST {} HTTP/1.1", Subscribe::PATH),
            "email=Ada%40Example.org",
        )
        .unwrap();
    assert!(status.contains(" 200 "), "{status}");
    let stores = db.stores().await;
    assert_eq!(stores.framework.jobs.counts().await.unwrap().queued, 1);
    first.kill();
    assert!(stores.app.outbox(10).await.unwrap().is_empty());

    let second = Instance::start(&db, 1);
    eventually("the restarted server sent the welcome", || async {
        !stores.app.outbox(10).await.unwrap().is_empty()
    })
    .await;
    let outbox = stores.app.outbox(10).await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].1.to, "ada@example.org");
    eventually("the job was recorded as done", || async {
        stores.framework.jobs.counts().await.unwrap().done == 1
    })
    .await;
    second.kill();
    db.drop_database().await;
}
