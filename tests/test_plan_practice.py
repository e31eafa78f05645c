"""Best-practice register: proposal by a librarian → acceptance or return by the methodologist, visibility,
files with size and type limits stored under the upload folder and served as attachments."""

import io
from pathlib import Path

from mo_app.extensions import db
from mo_app.models import BestPractice, BestPracticeFile


def _propose(client, **data):
    payload = {"topic": "Буктрейлеры на уроках литературы",
               "goals": "- развить интерес к чтению;\n- освоить видеоредактор", "form": "мастер-класс"}
    payload.update(data)
    return client.post("/best-practice/new", data=payload)


def test_proposal_then_acceptance(app, client, f, login_as):
    f.year(2026)
    school = f.school("192")
    author = f.librarian(school, last_name="Жукова", initials="С.А.")
    login_as(author)
    r = _propose(client)
    assert r.status_code == 303
    entry = db.session.scalar(db.select(BestPractice))
    assert entry.status == "proposed" and entry.author_id == author.id and entry.organization_id == school.id
    assert entry.goals == ["развить интерес к чтению", "освоить видеоредактор"]
    # not in the plan yet, but on the register page as «my proposal»
    assert "Буктрейлеры" not in client.get("/plan").get_data(as_text=True)
    page = client.get("/best-practice").get_data(as_text=True)
    assert "Мои предложения" in page and "Предложен" in page

    methodologist = f.methodologist()
    login_as(methodologist)
    assert "Предложения на рассмотрении" in client.get("/best-practice").get_data(as_text=True)
    r = client.post(f"/best-practice/{entry.id}/accept", data={"stage": "generalisation"})
    assert r.status_code == 303
    db.session.refresh(entry)
    assert entry.status == "accepted" and entry.stage == "generalisation"
    plan = client.get("/plan").get_data(as_text=True)
    assert "«Буктрейлеры на уроках литературы»" in plan and "Обобщение опыта" in plan
    # the author sees it on their profile
    login_as(author)
    profile = client.get(f"/people/{author.id}").get_data(as_text=True)
    assert "Буктрейлеры на уроках литературы" in profile and "Принят" in profile


def test_return_with_comment_then_resubmit(app, client, f, login_as):
    f.year(2026)
    author = f.librarian()
    login_as(author)
    _propose(client)
    entry = db.session.scalar(db.select(BestPractice))
    login_as(f.methodologist())
    r = client.post(f"/best-practice/{entry.id}/return", data={"comment": ""})
    assert r.status_code == 422 and "Напишите, что нужно доработать." in r.get_data(as_text=True)
    r = client.post(f"/best-practice/{entry.id}/return", data={"comment": "Уточните цели"})
    assert r.status_code == 303
    db.session.refresh(entry)
    assert entry.status == "returned" and entry.review_comment == "Уточните цели"
    login_as(author)
    form = client.get(f"/best-practice/{entry.id}/edit").get_data(as_text=True)
    assert "Уточните цели" in form
    r = client.post(f"/best-practice/{entry.id}/edit", data={"topic": "Буктрейлеры", "goals": "развить интерес"})
    assert r.status_code == 303
    db.session.refresh(entry)
    assert entry.status == "proposed" and entry.goals == ["развить интерес"]


def test_proposal_form_errors_are_russian(app, client, f, login_as):
    f.year(2026)
    login_as(f.librarian())
    r = _propose(client, topic="", goals="")
    text = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Введите тему опыта." in text and "Укажите хотя бы одну цель изучения опыта." in text
    assert db.session.scalar(db.select(db.func.count(BestPractice.id))) == 0


def test_methodologist_creates_entry_with_author_and_event(app, client, f, login_as):
    year = f.year(2026)
    school = f.school("192")
    author = f.librarian(school)
    seminar = f.event(year, title="Технология организации школьной конференции", venue_id=school.id)
    login_as(f.methodologist())
    r = client.post("/best-practice/new", data={
        "topic": "Технология проведения школьных конференций", "goals": "развить интерес учащихся к научным проблемам",
        "author": str(author.id), "stage": "generalisation", "form": "Семинар на базе гимназии №192",
        "event": str(seminar.id)})
    assert r.status_code == 303
    entry = db.session.scalar(db.select(BestPractice))
    assert (entry.status, entry.event_id, entry.organization_id) == ("accepted", seminar.id, school.id)
    r = client.post("/best-practice/new", data={"topic": "x", "goals": "y", "author": "0", "stage": "study"})
    assert r.status_code == 422


def test_other_librarians_do_not_see_a_proposal(app, client, f, login_as):
    f.year(2026)
    author = f.librarian()
    login_as(author)
    _propose(client)
    entry = db.session.scalar(db.select(BestPractice))
    login_as(f.librarian())
    assert client.get(f"/best-practice/{entry.id}").status_code == 404
    assert client.get(f"/best-practice/{entry.id}/edit").status_code == 404
    assert "Буктрейлеры" not in client.get("/best-practice").get_data(as_text=True)
    assert client.post(f"/best-practice/{entry.id}/accept", data={"stage": "study"}).status_code == 403
    # once accepted it is shared with everyone, but only its author or the methodologist change it
    entry.status = "accepted"
    db.session.commit()
    assert client.get(f"/best-practice/{entry.id}").status_code == 200
    assert client.get(f"/best-practice/{entry.id}/edit").status_code == 403


def test_file_upload_is_stored_by_a_generated_name_and_served_as_attachment(app, client, f, login_as):
    f.year(2026)
    author = f.librarian()
    login_as(author)
    _propose(client)
    entry = db.session.scalar(db.select(BestPractice))
    data = b"%PDF-1.4 method notes"
    r = client.post(f"/best-practice/{entry.id}/files", data={"file": (io.BytesIO(data), "../../Методичка.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 303
    record = db.session.scalar(db.select(BestPracticeFile))
    assert record.original_name == "Методичка.pdf" and record.size == len(data)
    stored = Path(app.config["UPLOAD_FOLDER"]) / "best_practice" / record.stored_name
    assert stored.read_bytes() == data and "Методичка" not in record.stored_name

    r = client.get(f"/best-practice/files/{record.id}")
    assert r.status_code == 200 and r.data == data
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in r.headers["Content-Disposition"]
    r.close()

    # another librarian: the entry is only a proposal, so its file is not there for them
    login_as(f.librarian())
    assert client.get(f"/best-practice/files/{record.id}").status_code == 404
    assert client.post(f"/best-practice/files/{record.id}/delete").status_code == 404

    login_as(author)
    assert client.post(f"/best-practice/files/{record.id}/delete").status_code == 303
    assert not stored.exists() and db.session.scalar(db.select(db.func.count(BestPracticeFile.id))) == 0


def test_file_type_and_size_limits(app, client, f, login_as):
    app.config["UPLOAD_MAX_BYTES"] = 1024
    f.year(2026)
    login_as(f.librarian())
    _propose(client)
    entry = db.session.scalar(db.select(BestPractice))
    r = client.post(f"/best-practice/{entry.id}/files", data={"file": (io.BytesIO(b"MZ..."), "setup.exe")},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "Этот тип файла не принимается" in r.get_data(as_text=True)
    r = client.post(f"/best-practice/{entry.id}/files", data={"file": (io.BytesIO(b"x" * 2048), "big.pptx")},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "Файл больше" in r.get_data(as_text=True)
    r = client.post(f"/best-practice/{entry.id}/files", data={}, content_type="multipart/form-data")
    assert r.status_code == 422 and "Выберите файл." in r.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(BestPracticeFile.id))) == 0
    folder = Path(app.config["UPLOAD_FOLDER"]) / "best_practice"
    assert not folder.exists() or not any(folder.iterdir())


def test_deleting_an_entry_removes_its_files(app, client, f, login_as):
    f.year(2026)
    login_as(f.librarian())
    _propose(client)
    entry = db.session.scalar(db.select(BestPractice))
    client.post(f"/best-practice/{entry.id}/files", data={"file": (io.BytesIO(b"slides"), "slides.pptx")},
                content_type="multipart/form-data")
    stored = Path(app.config["UPLOAD_FOLDER"]) / "best_practice" / db.session.scalar(
        db.select(BestPracticeFile.stored_name))
    entry_id = entry.id
    login_as(f.methodologist())
    assert client.post(f"/best-practice/{entry_id}/delete").status_code == 303
    assert not stored.exists() and db.session.scalar(db.select(db.func.count(BestPractice.id))) == 0
