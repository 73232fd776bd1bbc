use crate::helpers::{PASSWORD, apps};
use checkpoint_app::{AppError, NewAccount, Role};

#[tokio::test]
async fn sign_in_authenticate_and_sign_out() {
    for t in apps().await {
        let session = t.app.sign_in("nav.north.1", PASSWORD).await.unwrap();
        let actor = t.app.authenticate(&session.token).await.unwrap();
        assert_eq!(actor.role, Role::Navigator, "{}", t.backend);
        assert_eq!(actor.team.as_deref(), Some("north"));
        t.app.sign_out(&session.token).await.unwrap();
        assert!(matches!(
            t.app.authenticate(&session.token).await,
            Err(AppError::Unauthenticated)
        ));
    }
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    for t in apps().await {
        let wrong = t
            .app
            .sign_in("nav.north.1", "not the password")
            .await
            .unwrap_err();
        let unknown = t.app.sign_in("nobody", PASSWORD).await.unwrap_err();
        assert!(matches!(wrong, AppError::Unauthenticated), "{}", t.backend);
        assert!(matches!(unknown, AppError::Unauthenticated));
    }
}

#[tokio::test]
async fn a_disabled_users_session_stops_working_at_once() {
    for t in apps().await {
        let session = t.app.sign_in("nav.south.1", PASSWORD).await.unwrap();
        t.app
            .set_account_disabled(Some(&t.admin), "nav.south.1", true)
            .await
            .unwrap();
        assert!(matches!(
            t.app.authenticate(&session.token).await,
            Err(AppError::Unauthenticated)
        ));
        assert!(matches!(
            t.app.sign_in("nav.south.1", PASSWORD).await,
            Err(AppError::Unauthenticated)
        ));
    }
}

#[tokio::test]
async fn sessions_expire() {
    for t in apps().await {
        let session = t.app.sign_in("analyst", PASSWORD).await.unwrap();
        let later = session
            .expires_at
            .checked_add(jiff::SignedDuration::from_secs(1))
            .unwrap();
        t.clock().set(later);
        assert!(matches!(
            t.app.authenticate(&session.token).await,
            Err(AppError::Unauthenticated)
        ));
    }
}

#[tokio::test]
async fn only_admins_manage_accounts_and_usernames_are_unique_ignoring_case() {
    for t in apps().await {
        let account = |username: &str| NewAccount {
            username: username.to_owned(),
            display_name: "New Person".to_owned(),
            role: Role::Navigator,
            team: Some("north".to_owned()),
            password: PASSWORD.to_owned(),
        };
        let denied = t
            .app
            .create_account(Some(&t.supervisor), account("new.nav"))
            .await;
        assert!(
            matches!(denied, Err(AppError::Forbidden { .. })),
            "{}",
            t.backend
        );
        t.app
            .create_account(Some(&t.admin), account("new.nav"))
            .await
            .unwrap();
        let duplicate = t
            .app
            .create_account(Some(&t.admin), account("NEW.NAV"))
            .await
            .unwrap_err();
        match duplicate {
            AppError::Invalid(errors) => assert_eq!(errors[0].field, "username"),
            other => panic!("{other:?}"),
        }
        let short = NewAccount {
            password: "short".into(),
            ..account("other.nav")
        };
        match t
            .app
            .create_account(Some(&t.admin), short)
            .await
            .unwrap_err()
        {
            AppError::Invalid(errors) => assert_eq!(errors[0].field, "password"),
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn listing_accounts_is_for_admins_only() {
    for t in apps().await {
        for actor in t.everyone() {
            let result = t.app.list_accounts(Some(actor)).await;
            if actor.role == Role::Admin {
                assert_eq!(result.unwrap().len(), 7, "{}", t.backend);
            } else {
                assert!(
                    matches!(result, Err(AppError::Forbidden { .. })),
                    "{} {}",
                    t.backend,
                    actor.role
                );
            }
        }
        assert_eq!(t.custody.role, Role::CustodyOfficer);
        assert_eq!(t.navigator_2.team, t.navigator.team);
        assert_ne!(t.navigator_south.team, t.navigator.team);
        assert_eq!(t.analyst.role, Role::Analyst);
    }
}

#[tokio::test]
async fn an_admin_cannot_disable_their_own_account_but_another_admin_can() {
    for t in apps().await {
        let own = t
            .app
            .set_account_disabled(Some(&t.admin), &t.admin.username, true)
            .await
            .unwrap_err();
        match own {
            AppError::Invalid(errors) => {
                assert_eq!(errors.len(), 1, "{}", t.backend);
                assert_eq!(errors[0].field, "username");
                assert_eq!(errors[0].message, "you cannot disable your own account");
            }
            other => panic!("expected a field error, got {other:?}"),
        }
        let still = t.app.list_accounts(Some(&t.admin)).await.unwrap();
        let me = still
            .iter()
            .find(|a| a.id == t.admin.user_id)
            .expect("own account");
        assert!(!me.disabled, "nothing changed ({})", t.backend);

        // Another administrator may, and the local operator (CLI) may.
        let second = t
            .app
            .create_account(
                Some(&t.admin),
                NewAccount {
                    username: "second.admin".to_owned(),
                    display_name: "Second Admin".to_owned(),
                    role: Role::Admin,
                    team: None,
                    password: PASSWORD.to_owned(),
                },
            )
            .await
            .unwrap();
        let session = t.app.sign_in("second.admin", PASSWORD).await.unwrap();
        let second_actor = t.app.authenticate(&session.token).await.unwrap();
        let done = t
            .app
            .set_account_disabled(Some(&second_actor), &t.admin.username, true)
            .await
            .unwrap();
        assert!(done.disabled);
        let by_operator = t
            .app
            .set_account_disabled(None, &second.username, true)
            .await
            .unwrap();
        assert!(by_operator.disabled);
    }
}
