//! Who may do what. A TCP client is remote: products and what FlexNet's
//! lmstat reads over the network (see [`Read`]: the one place that says
//! which reads a remote client may make; the `remote_read` setting narrows
//! or widens it). A control-socket caller is identified by
//! the operating system's peer credentials, never by what it claims;
//! changes (reread, release, shutdown, accounts) need the admin role: root,
//! the account that runs lmgrd, or an account or group given the role.
//! Looking accounts and groups up may ask a directory service, so it runs
//! off the async runtime.

use super::context::Context;
use crate::engine::request::AccountRole;
use crate::engine::types::RemoteRead;
use crate::flexnet::Code;
use crate::protocol::{ErrorBody, Role};

/// Who is on the other end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Remote,
    Local {
        uid: u32,
        name: String,
    },
    /// An HTTPS client that presented an API token: it acts as the token's
    /// account, with the role that account had when the request came.
    Web {
        /// `account (token N)`: what the audit records.
        name: String,
        role: Role,
    },
}

impl Caller {
    /// A control-socket caller, named `host\user` as accounts are written.
    pub async fn local(uid: u32, host: &str) -> Self {
        let user = tokio::task::spawn_blocking(move || user_name(uid))
            .await
            .unwrap_or_else(|_| format!("uid{uid}"));
        Caller::Local {
            uid,
            name: format!("{host}\\{user}"),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Caller::Remote => "a remote client",
            Caller::Local { name, .. } | Caller::Web { name, .. } => name,
        }
    }

    /// The caller's role: root and the account lmgrd runs as are admins;
    /// then the accounts and groups given a role; anyone else local may read.
    pub async fn role(&self, ctx: &Context) -> Role {
        let (uid, name) = match self {
            Caller::Remote => return Role::Remote,
            Caller::Web { role, .. } => return *role,
            Caller::Local { uid, name } => (*uid, name),
        };
        if uid == 0 || uid == ctx.owner_uid {
            return Role::Admin;
        }
        // A stopped owner has no accounts to give: the caller only reads.
        let accounts = ctx.engine.accounts().await.unwrap_or_default();
        if accounts.get(name) == Some(&AccountRole::Admin) {
            return Role::Admin;
        }
        let groups: Vec<String> = accounts
            .into_iter()
            .filter(|(_, r)| *r == AccountRole::AdminGroup)
            .map(|(group, _)| group)
            .collect();
        if groups.is_empty() {
            return Role::User;
        }
        let admin = tokio::task::spawn_blocking(move || groups.iter().any(|g| member_of(uid, g)));
        if admin.await.unwrap_or(false) {
            Role::Admin
        } else {
            Role::User
        }
    }
}

/// The role an account (`host\\user`, as accounts are written) has now:
/// root and the account lmgrd runs as are admins; then the accounts given a
/// role; then the groups given one that the account (a local user of that
/// name) is in. `None` when it has no role.
pub async fn account_role(ctx: &Context, account: &str) -> Option<Role> {
    let host = ctx.host.to_string();
    let owner = format!("{host}\\{}", user_name(ctx.owner_uid));
    if account == format!("{host}\\root") || account == owner {
        return Some(Role::Admin);
    }
    let accounts = ctx.engine.accounts().await.ok()?;
    match accounts.get(account) {
        Some(AccountRole::Admin) => return Some(Role::Admin),
        Some(AccountRole::User) => return Some(Role::User),
        _ => {}
    }
    let groups: Vec<(String, AccountRole)> = accounts
        .into_iter()
        .filter(|(_, r)| matches!(r, AccountRole::AdminGroup | AccountRole::UserGroup))
        .collect();
    let user = account.rsplit('\\').next().unwrap_or(account).to_owned();
    tokio::task::spawn_blocking(move || {
        let uid = nix::unistd::User::from_name(&user)
            .ok()
            .flatten()?
            .uid
            .as_raw();
        let mut role = None;
        for (group, kind) in &groups {
            if member_of(uid, group) {
                if *kind == AccountRole::AdminGroup {
                    return Some(Role::Admin);
                }
                role = Some(Role::User);
            }
        }
        role
    })
    .await
    .ok()
    .flatten()
}

/// The account's name, or `uidN` when it has none.
pub fn user_name(uid: u32) -> String {
    nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
        .ok()
        .flatten()
        .map_or_else(|| format!("uid{uid}"), |u| u.name)
}

/// Whether the account `uid` is a member of the OS group `domain\\group`.
fn member_of(uid: u32, group: &str) -> bool {
    use nix::unistd::{Group, Uid, User};
    let name = group.rsplit('\\').next().unwrap_or(group);
    let (Ok(Some(g)), Ok(Some(u))) = (Group::from_name(name), User::from_uid(Uid::from_raw(uid)))
    else {
        return false;
    };
    u.gid == g.gid || g.mem.contains(&u.name)
}

/// Admin requests: only over the control socket, only for admins.
pub async fn authorize(what: &str, caller: &Caller, ctx: &Context) -> Result<(), ErrorBody> {
    match caller.role(ctx).await {
        Role::Admin => Ok(()),
        Role::Remote => Err(ErrorBody::new(
            Code::NOT_ALLOWED,
            format!("{what} is only accepted on the server's host, over its control socket"),
        )),
        Role::User => Err(ErrorBody::new(
            Code::NOT_ALLOWED,
            format!(
                "{what} needs the admin role; {} has the user role",
                caller.name()
            ),
        )),
    }
}

/// What a caller may read. A remote (TCP) client reads by default what
/// FlexNet's lmstat shows over the network: who the server is, its pools
/// and their use, its product sessions and checkouts, a diagnosis of its
/// lines. Who holds which user/device connection (the export), the
/// accounts, the event history and the settings are for callers on the
/// server's host only. The `remote_read` setting ([`RemoteRead`]) may take
/// the status and diagnosis away from remote clients, or give them the
/// user/device connections too; what products need is always readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    Hello,
    Info,
    Whoami,
    Diagnose,
    Status,
    Pools,
    /// The `connections` part of the status: every user/device name.
    Connections,
    Accounts,
    Events,
    Settings,
}

impl Read {
    /// Whether a remote client may read it under `policy`.
    pub fn remote(self, policy: RemoteRead) -> bool {
        match self {
            Read::Hello | Read::Info | Read::Whoami | Read::Pools => true,
            Read::Status | Read::Diagnose => policy != RemoteRead::ProductsOnly,
            Read::Connections => policy == RemoteRead::WithConnections,
            Read::Accounts | Read::Events | Read::Settings => false,
        }
    }

    /// Whether the `remote_read` setting decides it for a remote client.
    pub fn by_setting(self) -> bool {
        matches!(self, Read::Status | Read::Diagnose | Read::Connections)
    }

    fn what(self) -> &'static str {
        match self {
            Read::Hello => "hello",
            Read::Info => "the server's information",
            Read::Whoami => "whoami",
            Read::Diagnose => "a diagnosis",
            Read::Status => "the status",
            Read::Pools => "the pools",
            Read::Connections => "the user/device connections",
            Read::Accounts => "the account list",
            Read::Events => "the event history",
            Read::Settings => "the settings",
        }
    }
}

/// Refuses a read the caller may not make (-63), remote reads as `policy`
/// (the `remote_read` setting) allows them.
pub fn may_read(read: Read, caller: &Caller, policy: RemoteRead) -> Result<(), ErrorBody> {
    if *caller != Caller::Remote || read.remote(policy) {
        return Ok(());
    }
    let mut reason = format!(
        "{} is only available on the server's host, over its control socket",
        read.what()
    );
    if read.by_setting() {
        let setting = crate::engine::settings::remote_name(policy);
        reason.push_str(&format!(" (the remote_read setting is {setting})"));
    }
    Err(ErrorBody::new(Code::NOT_ALLOWED, reason))
}
