"""/plan, /results, the best-practice register and the profile load in a fixed number of SQL queries."""

import pytest

from mo_app.extensions import db
from mo_app.models import Goal, Registration

from .plan_helpers import count_queries, populate


def _queries(client, url):
    with count_queries() as statements:
        r = client.get(url)
        assert r.status_code == 200, url
    return len(statements)


@pytest.mark.parametrize("url", ["/plan", "/results", "/best-practice", "/plan/edit"])
def test_query_count_does_not_grow_with_data(app, client, f, login_as, url):
    methodologist = f.methodologist()
    small = populate(f, 2)
    goal = f.goal(small["year"])
    for ev in small["events"]:
        ev.goal_id = goal.id
    db.session.commit()
    login_as(methodologist)
    before = _queries(client, url)
    big = populate(f, 40, small["year"])
    second = Goal(year_id=small["year"].id, title="Вторая цель", position=2)
    db.session.add(second)
    db.session.flush()
    for ev in big["events"][::2]:
        ev.goal_id = second.id
    db.session.commit()
    assert _queries(client, url) == before


def test_profile_query_count_is_fixed(app, client, f, login_as):
    methodologist = f.methodologist()
    data = populate(f, 3)
    person = data["people"][0]
    login_as(methodologist)
    before = _queries(client, f"/people/{person.id}")
    more = populate(f, 30, data["year"])
    for ev in more["events"]:
        db.session.add(Registration(event_id=ev.id, user_id=person.id, attendance="present"))
    db.session.commit()
    assert _queries(client, f"/people/{person.id}") == before
