//! The demo's staff: one login per role, and navigators in two teams.

use checkpoint_app::{Actor, App, AppError, NewAccount, Role};

/// A demo account, as `serve --demo` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLogin {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub team: Option<String>,
    pub password: String,
}

pub const NORTH: &str = "North";
pub const SOUTH: &str = "South";

/// (username, display name, role, team). Display names are plainly fictional.
const STAFF: [(&str, &str, Role, Option<&str>); 10] = [
    ("demo.admin", "Demo Administrator", Role::Admin, None),
    (
        "demo.custody",
        "Sgt Demo Custody",
        Role::CustodyOfficer,
        None,
    ),
    (
        "demo.custody2",
        "Sgt Demo Custody Two",
        Role::CustodyOfficer,
        None,
    ),
    ("demo.supervisor", "Demo Supervisor", Role::Supervisor, None),
    ("demo.analyst", "Demo Analyst", Role::Analyst, None),
    (
        "demo.navigator",
        "Demo Navigator North 1",
        Role::Navigator,
        Some(NORTH),
    ),
    (
        "demo.navigator2",
        "Demo Navigator North 2",
        Role::Navigator,
        Some(NORTH),
    ),
    (
        "demo.navigator3",
        "Demo Navigator North 3",
        Role::Navigator,
        Some(NORTH),
    ),
    (
        "demo.navigator4",
        "Demo Navigator South 1",
        Role::Navigator,
        Some(SOUTH),
    ),
    (
        "demo.navigator5",
        "Demo Navigator South 2",
        Role::Navigator,
        Some(SOUTH),
    ),
];

/// The people the driver acts as.
#[derive(Debug, Clone)]
pub struct Staff {
    pub custody: Vec<Actor>,
    pub supervisor: Actor,
    pub navigators: Vec<Actor>,
    pub logins: Vec<DemoLogin>,
}

impl Staff {
    pub fn navigator(&self, id: uuid::Uuid) -> Option<&Actor> {
        self.navigators.iter().find(|n| n.user_id == id)
    }
}

fn login(
    username: &str,
    display: &str,
    role: Role,
    team: Option<&str>,
    password: &str,
) -> DemoLogin {
    DemoLogin {
        username: username.to_owned(),
        display_name: display.to_owned(),
        role,
        team: team.map(str::to_owned),
        password: password.to_owned(),
    }
}

/// The demo logins if the demo accounts already exist.
pub async fn existing(app: &App) -> Result<Option<Vec<DemoLogin>>, AppError> {
    let accounts = app.list_accounts(None).await?;
    if !accounts.iter().any(|a| a.username == STAFF[0].0) {
        return Ok(None);
    }
    Ok(Some(
        STAFF
            .iter()
            .map(|(u, d, r, t)| login(u, d, *r, *t, super::DEMO_PASSWORD))
            .collect(),
    ))
}

/// Creates the demo accounts (as the local operator, as `checkpoint user add` would).
pub async fn create(app: &App, password: &str) -> Result<Staff, AppError> {
    let mut custody = Vec::new();
    let mut supervisor = None;
    let mut navigators = Vec::new();
    let mut logins = Vec::new();
    for (username, display, role, team) in STAFF {
        let account = app
            .create_account(
                None,
                NewAccount {
                    username: username.to_owned(),
                    display_name: display.to_owned(),
                    role,
                    team: team.map(str::to_owned),
                    password: password.to_owned(),
                },
            )
            .await?;
        let actor = Actor {
            user_id: account.id,
            username: account.username,
            display_name: account.display_name,
            role,
            team: account.team,
        };
        match role {
            Role::CustodyOfficer => custody.push(actor),
            Role::Supervisor => supervisor = Some(actor),
            Role::Navigator => navigators.push(actor),
            Role::Admin | Role::Analyst => {}
        }
        logins.push(login(username, display, role, team, password));
    }
    let supervisor =
        supervisor.ok_or_else(|| AppError::Internal("no demo supervisor".to_owned()))?;
    Ok(Staff {
        custody,
        supervisor,
        navigators,
        logins,
    })
}

/// Adds `count` navigators after the demo's five (`demo.navigator6`, …), alternating between
/// the two teams, as the local operator would with `checkpoint user add`.
pub async fn add_navigators(
    app: &App,
    password: &str,
    count: usize,
    staff: &mut Staff,
) -> Result<(), AppError> {
    let base = staff.navigators.len();
    for k in 0..count {
        let number = base + k + 1;
        let team = if k % 2 == 0 { NORTH } else { SOUTH };
        let username = format!("demo.navigator{number}");
        let display = format!("Demo Navigator {team} {number}");
        let account = app
            .create_account(
                None,
                NewAccount {
                    username: username.clone(),
                    display_name: display.clone(),
                    role: Role::Navigator,
                    team: Some(team.to_owned()),
                    password: password.to_owned(),
                },
            )
            .await?;
        staff.navigators.push(Actor {
            user_id: account.id,
            username: account.username,
            display_name: account.display_name,
            role: Role::Navigator,
            team: account.team,
        });
        staff.logins.push(login(
            &username,
            &display,
            Role::Navigator,
            Some(team),
            password,
        ));
    }
    Ok(())
}
