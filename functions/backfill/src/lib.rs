//! Adoption-day backfill: lists the Inspector v2 findings the organisation already has
//! (inspector2 ListFindings in the delegated administrator account, page by page, per
//! region) and sends each to the central queue as the EventBridge `Inspector2 Finding`
//! event the forwarding rule would have delivered, so send-findings (and, when asked,
//! notify-findings) process it unchanged. A checkpoint after every page makes it
//! resumable; a token bucket keeps ListFindings under a rate.

pub mod backfill;
pub mod cli;
pub mod event;
pub mod inspector;
pub mod queue;
pub mod rate;
pub mod state;
