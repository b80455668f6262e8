mod browser;
mod dashboards;
mod report;
mod util;
