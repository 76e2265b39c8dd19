//! The Formwork reference server: configuration, storage backends and the HTTP stack.
//!
//! - [`admin`]: the `create-admin` command (the first admin comes from the command line);
//! - [`config`]: every setting, as one clap struct (flags and environment variables);
//! - [`store`]: the SQLite and PostgreSQL implementations of the app's `Store`;
//! - [`http`]: the axum router: pages, actions (through `formwork::pipeline`), assets, health;
//! - [`state`]: what the handlers share ([`state::ServerState`], [`state::Services`]);
//! - [`ops`]: the operator's endpoints (`/healthz`, `/metrics`);
//! - [`media`]: users' pictures, served from the object store;
//! - [`telemetry`]: `tracing` set-up;

pub mod admin;
pub mod api;
pub mod config;
pub mod http;
pub mod jobs;
pub mod media;
pub mod ops;
pub mod state;
pub mod store;
pub mod telemetry;
