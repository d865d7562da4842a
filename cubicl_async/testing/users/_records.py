"""The Users area's records: the organization's members (current and removed) and their tokens."""

from __future__ import annotations

from dataclasses import dataclass

from .._store import Store, known


@dataclass
class User:
    """A user of the emulated organization (current or removed)."""

    id: str
    firstname: str
    lastname: str
    email: str
    token: str
    org_admin: bool
    #: May keep the books (bookkeeping rights) without being an organization admin.
    account_manager: bool = False
    removed: bool = False


class Users:
    """The members of the organization, with their tokens (``emu.users``).

    The seeding helpers are `add`, `token`, `remove` and `set_account_manager`; the rest
    is what the pipeline, the endpoints and the other areas read. The helpers raise
    ValueError for unknown ids.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._users: dict[str, User] = {}
        self._tokens: dict[str, User] = {}

    # Seeding helpers

    def add(
        self,
        firstname: str,
        lastname: str,
        *,
        email: str | None = None,
        token: str | None = None,
        org_admin: bool = False,
        account_manager: bool = False,
        id: str | None = None,
    ) -> str:
        """Add a member to the organization and return its id.

        ``token`` defaults to ``token-<id>``, ``email`` to ``first.last@example.com``. An
        ``account_manager`` has bookkeeping rights, as organization admins do.
        """
        if token is not None and token in self._tokens:
            raise ValueError(f"token {token!r} is already used")
        user_id = self._store.new_id(id)
        user = User(
            id=user_id,
            firstname=firstname,
            lastname=lastname,
            email=email or f"{firstname}.{lastname}@example.com".lower(),
            token=token or f"token-{user_id}",
            org_admin=org_admin,
            account_manager=account_manager,
        )
        self._users[user_id] = user
        self._tokens[user.token] = user
        return user_id

    def token(self, user_id: str) -> str:
        """Return the API token of a user."""
        return self.get(user_id).token

    def set_account_manager(self, user_id: str, value: bool = True) -> None:
        """Mark a user an account manager (bookkeeping rights), or unmark one."""
        self.get(user_id).account_manager = value

    def remove(self, user_id: str) -> None:
        """Remove a user from the organization; its id still resolves, its token stops working."""
        self.get(user_id).removed = True

    # Reading

    @property
    def org_name(self) -> str:
        """The organization's name."""
        return self._store.org_name

    def get(self, user_id: str) -> User:
        """Return a user ever added (current or removed); ValueError if unknown."""
        return known(self._users, user_id, "user")

    def for_token(self, token: str) -> User | None:
        """Return the current user owning ``token``, or None."""
        user = self._tokens.get(token)
        return None if user is None or user.removed else user

    def find(self, user_id: str) -> User | None:
        """Return any user ever added (current or removed), or None."""
        return self._users.get(user_id)

    def is_current(self, user_id: str) -> bool:
        """Tell whether the id is a current member of the organization."""
        user = self._users.get(user_id)
        return user is not None and not user.removed

    def current(self) -> list[User]:
        """Return the organization's current members, in creation order."""
        return [user for user in self._users.values() if not user.removed]

    def keeps_books(self, user_id: str) -> bool:
        """Tell whether a current user has bookkeeping rights: an admin or account manager."""
        user = self._users.get(user_id)
        return user is not None and not user.removed and (user.org_admin or user.account_manager)

    def admins(self) -> list[str]:
        """Return the ids of the current organization admins, in creation order."""
        return [user.id for user in self.current() if user.org_admin]
