//! What every page shares: who is signed in (name, role, team), the navigation their role
//! has, and the CSRF token for the sign-out form. `templates/base.html` renders it.
//!
//! Pages added by other areas (reports) build a [`Chrome`] with [`Chrome::for_viewer`] and
//! extend `base.html`; that is the whole contract.

use super::session::Viewer;
use checkpoint_app::Role;

#[derive(Debug, Clone)]
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

#[derive(Debug, Clone)]
pub struct SignedInUser {
    pub name: String,
    pub role: &'static str,
    pub team: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Chrome {
    pub user: Option<SignedInUser>,
    pub csrf: String,
    pub nav: Vec<NavLink>,
    pub htmx_path: &'static str,
    pub css_path: &'static str,
}

/// The links each role's navigation shows, in order.
fn links_for(role: Role) -> &'static [(&'static str, &'static str)] {
    match role {
        Role::CustodyOfficer => &[("/referrals/new", "New referral"), ("/people", "People")],
        Role::Navigator => &[("/caseload", "My caseload"), ("/people", "People")],
        Role::Supervisor => &[
            ("/supervisor", "Supervisor"),
            ("/linkage/reviews", "Arrests to check"),
            ("/referrals/new", "New referral"),
            ("/people", "People"),
            ("/overview", "Overview"),
            ("/reports", "Reports"),
        ],
        Role::Analyst => &[("/overview", "Overview"), ("/reports", "Reports")],
        Role::Admin => &[("/admin/users", "Users"), ("/policies", "Policies")],
    }
}

impl Chrome {
    /// The chrome for a signed-in viewer; `current` is the path of the navigation entry to
    /// mark as the current page (empty for none).
    pub fn for_viewer(viewer: &Viewer, current: &str) -> Chrome {
        let actor = &viewer.actor;
        Chrome {
            user: Some(SignedInUser {
                name: actor.display_name.clone(),
                role: actor.role.label(),
                team: actor.team.clone(),
            }),
            csrf: viewer.csrf.clone(),
            nav: links_for(actor.role)
                .iter()
                .map(|&(href, label)| NavLink {
                    href,
                    label,
                    current: href == current,
                })
                .collect(),
            htmx_path: super::HTMX_PATH,
            css_path: super::CSS_PATH,
        }
    }

    /// The chrome before sign-in: no user, no navigation.
    pub fn anonymous() -> Chrome {
        Chrome {
            user: None,
            csrf: String::new(),
            nav: Vec::new(),
            htmx_path: super::HTMX_PATH,
            css_path: super::CSS_PATH,
        }
    }
}
