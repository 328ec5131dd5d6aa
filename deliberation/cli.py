"""Commands: `flask --app deliberation demo | create-admin | roster import | audit verify | minutes export |
backup | outbox send | jobs worker | jobs scheduler | jobs send | reminders send`."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from deliberation.extensions import db


def init_app(app: Flask) -> None:
    from deliberation.consultations.commands import outbox_group, reminders_group
    from deliberation.jobs.commands import jobs_group
    from deliberation.minutes.commands import minutes_group

    app.cli.add_command(demo)
    app.cli.add_command(create_admin)
    app.cli.add_command(roster)
    app.cli.add_command(audit_group)
    app.cli.add_command(minutes_group)
    app.cli.add_command(backup)
    app.cli.add_command(outbox_group)
    app.cli.add_command(jobs_group)
    app.cli.add_command(reminders_group)


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Load only when the database has no community yet.")
def demo(if_empty: bool) -> None:
    """Load the demo neighbourhood and print its logins."""
    from deliberation.demo import is_loaded, load_demo

    if is_loaded(db.session):
        if not if_empty:
            raise click.ClickException("数据库中已有数据；演示数据只能载入到空数据库。")
        click.echo("数据库中已有数据，未重新载入演示数据。演示账号（如未修改）：")
        from deliberation.demo import DEMO_PASSWORD
        for username in ("admin", "shuji", "resident1", "resident2"):
            click.echo(f"  {username:<10} / {DEMO_PASSWORD}")
        return
    started = time.perf_counter()
    logins = load_demo(db.session)
    db.session.commit()
    click.echo(f"已载入演示居民区（{time.perf_counter() - started:.1f} 秒）。登录账号：")
    for login in logins:
        click.echo(f"  {login.role:<16} {login.username:<10} / {login.password}   {login.name}")


@click.command("create-admin")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_admin(username: str, password: str) -> None:
    """Create an administrator who can add communities and moderators."""
    from deliberation.accounts import services
    from deliberation.errors import DomainError

    try:
        services.create_user(db.session, None, username, password, username, is_admin=True)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"已创建管理员 {username}")


roster = AppGroup("roster", help="The roster of persons (名册).")


@roster.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--community", "community_name", required=True, help="The community's name.")
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
@click.option("--only-valid", is_flag=True, help="Import the valid rows even when others have problems.")
def roster_import(file: Path, community_name: str, dry_run: bool, only_valid: bool) -> None:
    """Check a roster file (CSV or XLSX) and import it into a community."""
    from deliberation.accounts import services
    from deliberation.accounts.models import Community, User
    from deliberation.accounts.roster import RosterError, parse_roster
    from deliberation.errors import DomainError

    community = db.session.execute(select(Community).where(Community.name == community_name)).scalar()
    if community is None:
        raise click.ClickException(f"找不到居民区“{community_name}”")
    try:
        report = parse_roster(file.read_bytes(), file.name)
    except RosterError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"共 {report.total_lines} 行，有效 {len(report.rows)} 行，重复 {report.duplicates} 行，"
               f"问题 {len(report.problems)} 处。")
    for line in [d.message for d in report.duplicate_rows] + [p.message for p in report.problems]:
        click.echo("  " + line)
    if dry_run:
        sys.exit(0 if report.valid else 1)
    # The command line acts as the system administrator.
    actor = db.session.execute(select(User).where(User.is_admin.is_(True)).order_by(User.id)).scalar()
    if actor is None:
        raise click.ClickException("请先用 create-admin 创建管理员")
    try:
        result = services.import_roster(db.session, actor, community, report, only_valid=only_valid)
    except DomainError as error:
        raise click.ClickException(error.message + "（可加 --only-valid 只导入有效行）") from error
    db.session.commit()
    click.echo(f"已导入 {result.rows_imported} 行：新增 {result.persons_created} 人、{result.units_created} 户房屋、"
               f"{result.ownerships_created} 条产权；跳过 {result.rows_skipped} 行。")


audit_group = AppGroup("audit", help="The audit log.")


@audit_group.command("verify")
@click.option("--head", "heads", multiple=True, metavar="'#N HASH'",
              help="A head of the chain as printed on minutes or a notice, e.g. '#1234 9f2c4e0a1b2c3d4e'.")
def audit_verify(heads: tuple[str, ...]) -> None:
    """Check every chain of the audit log (one per community, the site's, the legacy one): hashes, links,
    MACs and anchors, chain by chain; exits 1 when an event was edited, deleted or reordered, a chain
    recomputed, a tail cut off or the log emptied."""
    from deliberation import audit

    result = audit.verify(db.session, printed=list(heads))
    names = _community_names()
    for chain in result.chains:
        label = audit.chain_label(chain.chain, names)
        if chain.ok:
            click.echo(f"{label}：完好，{chain.count} 条事件" + (f"，链头 {chain.head.printed}" if chain.head else ""))
            continue
        click.echo(f"{label}：发现 {len(chain.problems)} 处问题（共 {chain.count} 条事件）", err=True)
        for problem in chain.problems:
            click.echo(f"  {problem}", err=True)
    unplaced = result.problems[sum(len(c.problems) for c in result.chains):]
    for problem in unplaced:
        click.echo(problem, err=True)
    if result.ok:
        click.echo(f"审计日志完好：{len(result.chains)} 条链共 {result.count} 条事件，哈希链无断裂，锚点都在。")
        return
    broken = sum(not c.ok for c in result.chains)
    click.echo(f"审计日志已被篡改：{broken} 条链发现 {len(result.problems)} 处问题（共 {result.count} 条事件）。",
               err=True)
    sys.exit(1)


def _community_names() -> dict[int, str]:
    from deliberation.accounts.models import Community

    return dict(db.session.execute(select(Community.id, Community.name)).all())


@audit_group.command("anchor")
def audit_anchor() -> None:
    """Anchor the head of every chain now (run it daily from cron): keyed rows and the anchor file."""
    from deliberation import audit

    heads = audit.anchor_all(db.session, "command")
    db.session.commit()
    names = _community_names()
    for head in heads:
        click.echo(f"链头已锚定（{audit.chain_label(head.chain, names)}）：{head.printed}")
    if not heads:
        click.echo("审计日志为空，无需锚定。")


@audit_group.command("restrict-role")
@click.argument("role")
def audit_restrict_role(role: str) -> None:
    """PostgreSQL: leave ROLE (the app's, not the owner's) only SELECT and INSERT on the audit tables, and
    what it needs on the others. Run as the tables' owner after each `db upgrade`."""
    from deliberation import audit
    from deliberation.errors import DomainError

    try:
        statements = audit.restrict_role(db.session, role)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    for statement in statements:
        click.echo(statement + ";")
    click.echo(f"角色 {role} 对审计表只能读取和追加，不能修改、删除或清空。")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup(path: Path) -> None:
    """Copy the database to PATH while the site runs: SQLite's online backup, or pg_dump."""
    import os
    import shutil
    import sqlite3
    import subprocess

    url = db.engine.url
    path.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(f"file:{url.database}?mode=ro", uri=True)
        target = sqlite3.connect(path)
        try:
            with target:
                source.backup(target)  # a consistent copy, page by page, while others write
            check = target.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            target.close()
            source.close()
        if check != "ok":
            raise click.ClickException(f"备份文件校验失败：{check}")
    elif url.get_backend_name() == "postgresql":
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise click.ClickException("找不到 pg_dump，请先安装 PostgreSQL 客户端")
        env = {**os.environ, "PGPASSWORD": url.password or ""}
        args = [pg_dump, "--no-owner", "--no-privileges", "--format=plain", "--file", str(path),
                "--host", url.host or "localhost", "--port", str(url.port or 5432),
                "--username", url.username or "postgres", url.database or "postgres"]
        result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise click.ClickException("pg_dump 失败：" + result.stderr.strip())
    else:
        raise click.ClickException(f"不支持备份此类数据库：{url.get_backend_name()}")
    click.echo(f"已备份到 {path}（{path.stat().st_size} 字节）")
