//! A real `App` over a fresh database on each backend, with one signed-up user per role.

use checkpoint_app::auth::PasswordCost;
use checkpoint_app::{Actor, App, Clock, NewAccount, PolicyRegistry, Role, Settings};
use checkpoint_store::testing::{self, TestDb};

/// Passwords of the seeded users (synthetic; test only).
pub const PASSWORD: &str = "correct horse battery staple";

/// 4 March 2026, 10:00 in London: the custody desk's "now" in tests.
pub const NOW: &str = "2026-03-04T10:00:00Z";

#[derive(Debug)]
pub struct TestApp {
    pub app: App,
    pub backend: &'static str,
    pub custody: Actor,
    /// Navigators: two in team north, one in team south.
    pub navigator: Actor,
    pub navigator_2: Actor,
    pub navigator_south: Actor,
    pub supervisor: Actor,
    pub analyst: Actor,
    pub admin: Actor,
    _db: TestDb,
}

impl TestApp {
    pub fn clock(&self) -> &Clock {
        self.app.clock()
    }

    /// Every seeded actor, for permission tables.
    pub fn everyone(&self) -> [&Actor; 7] {
        [
            &self.custody,
            &self.navigator,
            &self.navigator_2,
            &self.navigator_south,
            &self.supervisor,
            &self.analyst,
            &self.admin,
        ]
    }
}

async fn seed(app: &App, username: &str, role: Role, team: Option<&str>) -> Actor {
    app.create_account(
        None,
        NewAccount {
            username: username.to_owned(),
            display_name: format!("Test {username}"),
            role,
            team: team.map(str::to_owned),
            password: PASSWORD.to_owned(),
        },
    )
    .await
    .expect("seed account");
    app.sign_in(username, PASSWORD)
        .await
        .expect("sign in")
        .actor
}

async fn build(db: TestDb) -> TestApp {
    let settings = Settings {
        password_cost: PasswordCost::Fast,
        ..Settings::default()
    };
    let app = App::new(
        db.db.clone(),
        PolicyRegistry::shipped().expect("shipped policies"),
        Clock::manual(NOW.parse().expect("timestamp")),
        settings,
    );
    TestApp {
        custody: seed(&app, "custody.sgt", Role::CustodyOfficer, None).await,
        navigator: seed(&app, "nav.north.1", Role::Navigator, Some("north")).await,
        navigator_2: seed(&app, "nav.north.2", Role::Navigator, Some("north")).await,
        navigator_south: seed(&app, "nav.south.1", Role::Navigator, Some("south")).await,
        supervisor: seed(&app, "supervisor", Role::Supervisor, Some("north")).await,
        analyst: seed(&app, "analyst", Role::Analyst, None).await,
        admin: seed(&app, "admin", Role::Admin, None).await,
        backend: db.label,
        app,
        _db: db,
    }
}

/// A seeded app on every backend under test.
pub async fn apps() -> Vec<TestApp> {
    let mut all = Vec::new();
    for db in testing::backends().await {
        all.push(build(db).await);
    }
    all
}
