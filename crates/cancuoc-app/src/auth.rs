//! Officers, passwords and sessions (DESIGN §8).

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use cancuoc_domain::audit::Outcome;
use cancuoc_domain::{Officer, PoliceUnitCode, Role};
use cancuoc_store::{NewOfficer, NewSession};
use sha2::{Digest, Sha256};

use crate::{App, AppError, Caller};

/// A signed-in officer: the bearer token (shown once) and the CSRF token for forms.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub csrf_token: String,
    pub officer: Officer,
    pub must_change_password: bool,
    pub expires_micros: i64,
}

/// Letters and digits people can read aloud without confusion (no 0/O, 1/l/I).
const PASSWORD_ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

pub(crate) fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl App {
    fn hash_password(&self, password: &str) -> Result<String, AppError> {
        let salt = self.random.bytes(16)?;
        Argon2::default()
            .hash_password_with_salt(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    /// A random one-time password of 16 characters.
    pub fn one_time_password(&self) -> Result<String, AppError> {
        let bytes = self.random.bytes(16)?;
        let n = PASSWORD_ALPHABET.len();
        Ok(bytes
            .iter()
            .map(|b| {
                char::from(
                    PASSWORD_ALPHABET
                        .get(usize::from(*b) % n)
                        .copied()
                        .unwrap_or(b'x'),
                )
            })
            .collect())
    }

    /// Creates an officer with a one-time password (returned, to be handed over once),
    /// or with `password` when given (automated set-ups).
    pub async fn add_officer(
        &self,
        caller: &Caller,
        username: &str,
        full_name: &str,
        unit: &PoliceUnitCode,
        role: Role,
        password: Option<&str>,
    ) -> Result<String, AppError> {
        cancuoc_domain::text::limits::USERNAME.check(username)?;
        cancuoc_domain::text::limits::FULL_NAME.check(full_name)?;
        if let Some(o) = caller.officer()
            && !o.role.manages_officers()
        {
            return Err(AppError::Forbidden(
                "only administrators manage officers".into(),
            ));
        }
        let valid_name = !username.is_empty()
            && username.len() <= 64
            && username.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
            });
        if !valid_name {
            return Err(AppError::Invalid(format!(
                "username {username:?} must be 1–64 characters of a–z, 0–9, '.', '_' or '-'"
            )));
        }
        if !role.fits_unit(unit) {
            return Err(AppError::Invalid(format!(
                "role {} does not belong in unit {unit}",
                role.as_str()
            )));
        }
        let (password, must_change) = match password {
            Some(p) => {
                check_password_strength(p, "")?;
                (p.to_owned(), false)
            }
            None => (self.one_time_password()?, true),
        };
        let new = NewOfficer {
            officer: Officer {
                username: username.to_owned(),
                full_name: cancuoc_domain::text::clean(full_name),
                unit: unit.clone(),
                role,
                active: true,
            },
            password_hash: self.hash_password(&password)?,
            must_change_password: must_change,
        };
        self.store
            .create_officer(&caller.access(&*self.clock, "officer administration"), &new)
            .await?;
        Ok(password)
    }

    pub async fn officers(&self, caller: &Caller) -> Result<Vec<Officer>, AppError> {
        if let Some(o) = caller.officer()
            && !o.role.manages_officers()
        {
            return Err(AppError::Forbidden(
                "only administrators manage officers".into(),
            ));
        }
        Ok(self
            .store
            .officers(&caller.access(&*self.clock, "officer administration"))
            .await?)
    }

    pub async fn set_officer_active(
        &self,
        caller: &Caller,
        username: &str,
        active: bool,
    ) -> Result<(), AppError> {
        if let Some(o) = caller.officer()
            && !o.role.manages_officers()
        {
            return Err(AppError::Forbidden(
                "only administrators manage officers".into(),
            ));
        }
        // The last active administrator is kept by the store, in the same transaction.
        if !active && caller.officer().is_some_and(|o| o.username == username) {
            return Err(AppError::InvalidState(
                "an administrator cannot disable their own account".into(),
            ));
        }
        Ok(self
            .store
            .set_officer_active(
                &caller.access(&*self.clock, "officer administration"),
                username,
                active,
            )
            .await?)
    }

    /// Gives an officer a new one-time password, to be changed at the next sign-in, and
    /// ends their sessions: for an officer who forgot theirs, or the only administrator.
    pub async fn reset_password(
        &self,
        caller: &Caller,
        username: &str,
    ) -> Result<String, AppError> {
        if let Some(o) = caller.officer()
            && !o.role.manages_officers()
        {
            return Err(AppError::Forbidden(
                "only administrators manage officers".into(),
            ));
        }
        let password = self.one_time_password()?;
        self.store
            .set_password(
                &caller.access(&*self.clock, "password reset"),
                username,
                &self.hash_password(&password)?,
                true,
                None,
            )
            .await?;
        Ok(password)
    }

    /// Checks a username and password from a client address; on success opens a session.
    ///
    /// Failures are counted per client address and per username at that address, each
    /// with a growing delay once a few have failed (1 s, 2 s, 4 s … up to 15 minutes):
    /// a guesser elsewhere slows down only themselves, and the officer at their own
    /// station still signs in with the right password. A delayed attempt is answered
    /// before anything is looked up, the same way whether the username exists or not.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        client: &str,
    ) -> Result<Session, AppError> {
        // Before anything is looked up or hashed: a megabyte is neither a name nor a
        // password, and hashing one is work an attacker should not get for free.
        cancuoc_domain::text::limits::USERNAME.check(username)?;
        cancuoc_domain::text::limits::PASSWORD.check(password)?;
        let now = self.clock.now_micros();
        let window = self.config.login_window_micros;
        let keys = [
            format!("address:{client}"),
            format!("officer:{username}@{client}"),
        ];
        let seen = self.store.attempts(&keys, now, window).await?;
        let wait = seen
            .iter()
            .filter_map(|(n, last)| last.map(|l| l + delay_after(*n) - now))
            .max()
            .unwrap_or(0);
        if wait > 0 {
            return Err(AppError::TooManyAttempts {
                seconds: (wait + 999_999) / 1_000_000,
            });
        }
        let creds = self.store.officer_credentials(username).await?;
        let system = Caller::Operator {
            name: "auth".into(),
        }
        .access(&*self.clock, "sign-in");
        // Records the failure under every key; the officer-at-address count comes back.
        let fail = || async {
            let mut officer_failures = 0;
            for key in &keys {
                officer_failures = self.store.record_attempt(key, now, window).await?;
            }
            Ok::<_, AppError>(officer_failures)
        };
        let Some(creds) = creds.filter(|c| c.officer.active) else {
            // Spend the same time as a real check so that timing does not reveal usernames.
            let _ = self.hash_password(password);
            fail().await?;
            return Err(AppError::BadCredentials);
        };
        let ok = PasswordHash::new(&creds.password_hash)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false);
        let access = cancuoc_store::Access {
            actor: username.to_owned(),
            unit: creds.officer.unit.as_string(),
            ..system
        };
        if !ok {
            // One event when an officer's password first fails from an address within
            // the window, and one when guessing there starts to be slowed down: the
            // count of each guess lives in the throttle's table, not in the chain, so
            // that guessing cannot flood the audit trail.
            let failures = fail().await?;
            let action = match failures {
                1 => Some("auth.login_failed"),
                n if n == FREE_FAILURES + 1 => Some("auth.login_throttled"),
                _ => None,
            };
            if let Some(action) = action {
                self.store
                    .append_audit(&access, action, "officer", username, Outcome::Refused)
                    .await?;
            }
            return Err(AppError::BadCredentials);
        }
        if let Some(key) = keys.get(1) {
            self.store.clear_attempts(key).await?;
        }
        let token = hex::encode(self.random.bytes(32)?);
        let csrf_token = hex::encode(self.random.bytes(16)?);
        let expires = now + self.config.session_ttl_micros;
        self.store
            .create_session(&NewSession {
                token_hash: hash_token(&token),
                username: username.to_owned(),
                created_micros: now,
                expires_micros: expires,
                csrf_token: csrf_token.clone(),
            })
            .await?;
        self.store
            .append_audit(&access, "auth.login", "officer", username, Outcome::Done)
            .await?;
        Ok(Session {
            token,
            csrf_token,
            officer: creds.officer,
            must_change_password: creds.must_change_password,
            expires_micros: expires,
        })
    }

    /// The officer behind a token, with the CSRF token of the session.
    pub async fn authenticate(&self, token: &str) -> Result<(Officer, bool, String), AppError> {
        let info = self
            .store
            .session_officer(
                &hash_token(token),
                self.clock.now_micros(),
                self.config.session_idle_micros,
            )
            .await?
            .ok_or(AppError::Unauthenticated)?;
        Ok((info.officer, info.must_change_password, info.csrf_token))
    }

    pub async fn logout(&self, token: &str) -> Result<(), AppError> {
        Ok(self.store.delete_session(&hash_token(token)).await?)
    }

    /// Changes the caller's own password after checking the current one, and closes every
    /// other session of theirs (`token` is the session asking). Wrong current passwords
    /// are throttled like sign-ins.
    pub async fn change_password(
        &self,
        officer: &Officer,
        current: &str,
        new: &str,
        token: &str,
    ) -> Result<(), AppError> {
        // The new one is held to the same bound by `check_password_strength`.
        cancuoc_domain::text::limits::PASSWORD.check(current)?;
        let now = self.clock.now_micros();
        let throttle_key = format!("password-change:{}", officer.username);
        let failures = self
            .store
            .record_attempt(&throttle_key, now, self.config.login_window_micros)
            .await?;
        if failures > self.config.max_login_failures {
            return Err(AppError::TooManyAttempts {
                seconds: self.config.login_window_micros / 1_000_000,
            });
        }
        let creds = self
            .store
            .officer_credentials(&officer.username)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let ok = PasswordHash::new(&creds.password_hash)
            .map(|h| {
                Argon2::default()
                    .verify_password(current.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false);
        if !ok {
            return Err(AppError::BadCredentials);
        }
        self.store.clear_attempts(&throttle_key).await?;
        if new == current {
            return Err(AppError::Invalid(
                "the new password must differ from the current one".into(),
            ));
        }
        check_password_strength(new, &officer.username)?;
        let caller = Caller::Officer(officer.clone());
        self.store
            .set_password(
                &caller.access(&*self.clock, "password change"),
                &officer.username,
                &self.hash_password(new)?,
                false,
                Some(&hash_token(token)),
            )
            .await?;
        Ok(())
    }
}

/// Failures a key may have before each further attempt waits.
const FREE_FAILURES: u32 = 3;
/// The longest wait between attempts.
const MAX_DELAY_MICROS: i64 = 15 * 60 * 1_000_000;

/// How long after its last failure a key waits, having failed `n` times: nothing for the
/// first few, then 1 s, doubling up to 15 minutes.
fn delay_after(n: u32) -> i64 {
    match n.checked_sub(FREE_FAILURES) {
        None | Some(0) => 0,
        Some(extra) => (1_000_000_i64 << (extra - 1).min(20)).min(MAX_DELAY_MICROS),
    }
}

/// Words that make a password guessable whatever digits or signs surround them.
const COMMON_WORDS: &[&str] = &[
    "password",
    "passw0rd",
    "matkhau",
    "mat khau",
    "admin",
    "administrator",
    "qwerty",
    "qwertyuiop",
    "asdfgh",
    "zxcvbn",
    "iloveyou",
    "letmein",
    "welcome",
    "abc",
    "abcd",
    "test",
    "cancuoc",
    "congan",
    "cong an",
    "bocongan",
    "vietnam",
    "hanoi",
    "saigon",
    "xinchao",
    "anhyeuem",
    "em yeu anh",
    "emyeuanh",
    "yeuem",
    "user",
    "guest",
    "root",
    "default",
    "changeme",
    "secret",
];

/// A password an attacker tries first: too short, one character repeated, a run such as
/// 123456789012 or abcdefghijkl, the officer's own username, or a common word with only
/// digits and signs around it.
fn check_password_strength(p: &str, username: &str) -> Result<(), AppError> {
    // A password that could never be typed at sign-in is refused when it is set.
    cancuoc_domain::text::limits::PASSWORD.check(p)?;
    if p.chars().count() < 12 {
        return Err(AppError::Invalid(
            "a password has at least 12 characters".into(),
        ));
    }
    let lower = p.to_lowercase();
    let trivial = || AppError::Invalid("this password is too easy to guess: choose another".into());
    let chars: Vec<char> = lower.chars().collect();
    if chars.windows(2).all(|w| w.first() == w.get(1)) {
        return Err(trivial());
    }
    let steps: Vec<i64> = chars
        .windows(2)
        .filter_map(|w| Some(i64::from(u32::from(*w.get(1)?)) - i64::from(u32::from(*w.first()?))))
        .collect();
    if steps.iter().all(|s| *s == 1) || steps.iter().all(|s| *s == -1) {
        return Err(trivial());
    }
    if !username.is_empty() && lower.contains(&username.to_lowercase()) {
        return Err(AppError::Invalid(
            "a password must not contain the username".into(),
        ));
    }
    let letters: String = lower
        .chars()
        .filter(|c| c.is_alphabetic() || *c == ' ')
        .collect();
    let letters = letters.trim();
    if letters.is_empty()
        || COMMON_WORDS
            .iter()
            .any(|w| letters == *w || letters.replace(' ', "") == w.replace(' ', ""))
    {
        return Err(trivial());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{check_password_strength, delay_after};

    #[test]
    fn delays_grow_from_the_fourth_failure_and_stop_at_fifteen_minutes() {
        let seconds: Vec<i64> = (0..8).map(|n| delay_after(n) / 1_000_000).collect();
        assert_eq!(seconds, vec![0, 0, 0, 0, 1, 2, 4, 8]);
        assert_eq!(delay_after(40), 15 * 60 * 1_000_000);
    }

    #[test]
    fn guessable_passwords_are_refused() {
        for p in [
            "short",
            "aaaaaaaaaaaa",
            "123456789012",
            "abcdefghijklm",
            "987654321098",
            "Password2021!",
            "matkhau@123456",
            "Mat Khau 2026!!",
            "CONGAN-12345678",
            "202112345678",
            "lan.pt-is-my-name",
        ] {
            assert!(check_password_strength(p, "lan.pt").is_err(), "{p}");
        }
        for p in [
            "a-much-longer-password",
            "Sông Lam chảy qua Hà Tĩnh",
            "correct horse battery staple",
        ] {
            assert!(check_password_strength(p, "lan.pt").is_ok(), "{p}");
        }
    }
}
