"""Item endpoints: createItem, config.xml, doDelete / DELETE, api/json, crumbIssuer."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tests.jenkins_double.api import TreeSyntaxError, export, parse_tree
from tests.jenkins_double.routing import Failure, NotFound, Request, Response
from tests.jenkins_double.security import CRUMB_FIELD, SESSION_COOKIE
from tests.jenkins_double.state import BadConfig, Item, check_good_name

if TYPE_CHECKING:
    from tests.jenkins_double.server import JenkinsDouble


def install(double: JenkinsDouble) -> None:
    """Register the item and crumb endpoints."""
    r = double.router

    def lookup(path: tuple[str, ...]) -> Item:
        item = double.tree.find(path)
        if item is None:
            raise NotFound
        return item

    def create_item(req: Request, path: tuple[str, ...], _m: re.Match[str]) -> Response:
        with double.tree.lock:
            parent = double.tree.find(path)
            if parent is None or (parent.parent is not None and not parent.accepts_items):
                return Response.not_found()
            ctype = req.content_type
            if ctype is None:
                raise Failure("No Content-Type header set")
            is_xml = ctype.startswith(("application/xml", "text/xml"))
            name = req.query.get("name", [None])[0]
            if name is None:
                raise Failure("Query parameter 'name' is required")
            bad = check_good_name(name)
            if bad:
                raise Failure(bad)
            name = name.strip()
            if name in parent.children:
                raise Failure(f"A job already exists with the name \u2018{name}\u2019")
            if not is_xml:
                raise Failure("No mode given")
            try:
                double.tree.create(parent, name, req.body)
            except BadConfig as exc:
                return Response.text(str(exc), 500)
        return Response(200)

    def config_xml(req: Request, path: tuple[str, ...], _m: re.Match[str]) -> Response:
        if not path:
            return Response.not_found()
        with double.tree.lock:
            item = lookup(path)
            if req.method == "GET":
                return Response.xml(item.config_xml)
            if req.method == "POST":
                try:
                    double.tree.update(item, req.body)
                except BadConfig as exc:
                    return Response.text(str(exc), 500)
                return Response(200)
        return Response(400, b"", None)

    def do_delete(req: Request, path: tuple[str, ...], _m: re.Match[str]) -> Response:
        if not path:
            return Response.not_found()
        if req.method != "POST":
            return Response(405, b"This URL requires POST", "text/plain;charset=utf-8")
        with double.tree.lock:
            item = lookup(path)
            parent = item.parent
            double.tree.delete(item)
        assert parent is not None
        return Response.redirect(double.url + "/" + parent.url_path())

    def item_page(req: Request, path: tuple[str, ...], _m: re.Match[str]) -> Response:
        with double.tree.lock:
            item = lookup(path)
            if req.method == "DELETE":
                if not path:
                    return Response(405)
                double.tree.delete(item)
                return Response(204)
        title = item.full_name or "Dashboard"
        return Response(
            200,
            f"<html><head><title>{title} [Jenkins]</title></head></html>".encode(),
            "text/html;charset=utf-8",
        )

    def api_json(req: Request, path: tuple[str, ...], _m: re.Match[str]) -> Response:
        tree_text = req.query.get("tree", [None])[0]
        try:
            tree = parse_tree(tree_text) if tree_text is not None else None
            depth = int(req.query.get("depth", ["0"])[0])
        except (TreeSyntaxError, ValueError) as exc:
            return Response.text(str(exc), 400)
        with double.tree.lock:
            item = lookup(path)
            return Response.json(export(item, double.url + "/", tree, depth))

    def crumb(req: Request, _m: re.Match[str]) -> Response:
        if not double.security.csrf:
            return Response.not_found()
        headers: dict[str, str] = {}
        if req.session is None:
            req.session = double.new_session()
            headers["Set-Cookie"] = f"{SESSION_COOKIE}={req.session}; Path=/; HttpOnly"
        resp = Response.json(
            {
                "_class": "hudson.security.csrf.DefaultCrumbIssuer",
                "crumb": double.security.crumb_for(req.session, req.user),
                "crumbRequestField": CRUMB_FIELD,
            }
        )
        resp.headers.update(headers)
        return resp

    r.add_item("POST", r"createItem", create_item, "createItem")
    r.add_item(("GET", "POST", "PUT", "DELETE"), r"config\.xml", config_xml, "config.xml")
    r.add_item(("GET", "POST"), r"doDelete", do_delete, "doDelete")
    r.add_item(("GET", "DELETE"), r"", item_page, "item")
    r.add_item("GET", r"api/json", api_json, "api/json")
    r.add("GET", r"crumbIssuer/api/json", crumb, "crumbIssuer")
