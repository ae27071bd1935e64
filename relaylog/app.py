"""The ASGI application: three GraphQL endpoints (staff, family, reporting), health probes.

A request flows one way: bearer token → viewer → schema field (permission asks the policy)
→ resolver → DataLoader → SQL. One database session per request; the ``UnitOfWork``
extension appends the request's audit entries and commits when the operation ends. What the
HTTP edge refuses (bodies, JSON, Authorization headers) is in ``relaylog.http_limits``, what
the schema refuses before it validates a document in ``schema.document_limits``.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cross_web import HTTPException
from graphql import ExecutionResult, GraphQLError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.applications import Starlette
from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
)
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.async_base_view import AsyncHTTPRequestAdapter
from strawberry.http.parse_content_type import parse_content_type
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET

from auth.policy import Audience
from auth.remote_jwks import RemoteJwks
from auth.tokens import TokenError, TokenVerifier, VerifiedToken
from auth.viewer import Viewer, home_audience, resolve_viewer
from models.i18n import N_, Domain, Language, negotiate, translate
from relaylog.access_log import AccessLog, request_id_of
from relaylog.body_limit import BodySizeLimit
from relaylog.db import SessionFactory
from relaylog.http_limits import (
    JsonLimits,
    endpoint_body_limit,
    graphql_error_response,
    parse_request_json,
)
from relaylog.live import EventHub, LiveHandler
from relaylog.metrics import METRICS, metrics_endpoint
from relaylog.migrations import current_revision, head_revision
from relaylog.negotiation import (
    GRAPHQL_RESPONSE_JSON,
    JSON,
    is_request_error,
    response_media_type,
)
from relaylog.queue_metrics import watch_queues
from relaylog.replica import Replica
from relaylog.settings import Settings
from resolvers.context import Context
from resolvers.errors import localize_client_errors
from resolvers.live import LiveContext
from resolvers.loaders import Loaders
from schema.build import build_schema
from schema.compiled.runner import CompiledOperation
from schema.document_limits import Limits
from schema.trusted_operations import (
    REQUIRED,
    TrustedOperations,
    TrustedRequestData,
    request_error,
)
from schema.unit_of_work import (
    SERVICE_UNAVAILABLE,
    database_unavailable,
    finish_request,
    unavailable_error,
)

__all__ = ["Services", "build_app", "oslo_today"]

log = logging.getLogger("relaylog.app")
OSLO = ZoneInfo("Europe/Oslo")
ENDPOINTS = {
    Audience.STAFF: "/graphql",
    Audience.FAMILY: "/graphql/family",
    Audience.REPORTING: "/graphql/reporting",
}


def oslo_today() -> date:
    return datetime.now(OSLO).date()


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    session_factory: SessionFactory | Callable[[], AsyncSession]
    verifier: TokenVerifier
    today: Callable[[], date] = oslo_today
    key_refresh: RemoteJwks | None = None  # RELAYLOG_JWKS_URL: keys follow the issuer's
    replica: Replica | None = None  # reports read it when set (relaylog.replica)
    hub: EventHub | None = None  # live subscriptions' fan-out (built with the app)


class TokenUser(BaseUser):
    def __init__(self, token: VerifiedToken) -> None:
        self.token = token

    @property
    def is_authenticated(self) -> bool:
        return True


class SeveralAuthorizationHeaders(AuthenticationError):
    """Which one would count? Proxies and frameworks disagree, so none does."""


class BearerBackend(AuthenticationBackend):
    def __init__(self, verifier: TokenVerifier, key_refresh: RemoteJwks | None = None) -> None:
        self.verifier = verifier
        self.key_refresh = key_refresh

    async def _verify(self, token: str) -> VerifiedToken:
        if self.key_refresh is not None:
            return await self.key_refresh.verify(token)
        return self.verifier.verify(token)

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        headers = conn.headers.getlist("authorization")
        if not headers:
            return None
        if len(headers) > 1:
            raise SeveralAuthorizationHeaders("SEVERAL_HEADERS")
        header = headers[0]
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise AuthenticationError("MALFORMED")
        try:
            verified = await self._verify(token.strip())
        except TokenError as exc:
            raise AuthenticationError(exc.code) from None
        return AuthCredentials(["authenticated"]), TokenUser(verified)


# What a person reads when their token is refused, by the verifier's reason (the code says
# which, for clients; a reason not named here is the general sentence): errors catalogs.
_TOKEN_REFUSED = N_("The bearer token is not valid; sign in again.")
_TOKEN_MESSAGES: dict[str, str] = {"EXPIRED": N_("Your sign-in has expired; sign in again.")}


def _unauthorized(conn: HTTPConnection, exc: Exception) -> Response:
    language = request_language(conn)
    if isinstance(exc, SeveralAuthorizationHeaders):
        log.info("several authorization headers")
        several = N_("Send one Authorization header, not several.")
        return graphql_error_response(400, translate(Domain.ERRORS, language, several))
    reason = str(exc)
    log.info("token rejected", extra={"reason": reason})
    message = _TOKEN_MESSAGES.get(reason, _TOKEN_REFUSED)
    return JSONResponse(
        {
            "errors": [
                {
                    "message": translate(Domain.ERRORS, language, message),
                    "extensions": {"code": "UNAUTHENTICATED", "reason": reason},
                }
            ]
        },
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


RETRY_AFTER_SECONDS = 2
_INTERNAL = "Internal error"


def unavailable_response() -> Response:
    """HTTP 503 while PostgreSQL cannot be reached: one typed error, never database text,
    and when to come back (clients and load balancers retry instead of showing a fault)."""
    return JSONResponse(
        {"data": None, "errors": [unavailable_error().formatted]},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _failed(exc: BaseException) -> GraphQLError:
    """A compiled document that failed: unavailable when the database is, else masked."""
    return unavailable_error() if database_unavailable(exc) else GraphQLError(_INTERNAL)


class WrongEndpoint(Exception):
    """A valid token of a person this endpoint does not admit, but another one does."""

    MESSAGE = N_("This endpoint does not serve you; send your requests to {endpoint}.")

    def __init__(self, home: Audience) -> None:
        super().__init__(home.value)
        self.home = home

    def response(self, language: Language = Language.EN) -> Response:
        endpoint = ENDPOINTS[self.home]
        log.info("token for another endpoint", extra={"endpoint": endpoint})
        return JSONResponse(
            {
                "errors": [
                    {
                        "message": translate(
                            Domain.ERRORS, language, self.MESSAGE, endpoint=endpoint
                        ),
                        "extensions": {"code": "WRONG_ENDPOINT", "endpoint": endpoint},
                    }
                ]
            },
            status_code=403,
        )


_NAMES_A_DOCUMENT = re.compile(rb"documentId|persistedQuery")


class _CompiledResult(ExecutionResult):
    """The answer of a compiled trusted document: ``data`` is PostgreSQL's JSON text."""

    def __init__(self, data_text: str) -> None:
        super().__init__(data=None, errors=None)
        self.data_text = data_text


class _RawResponse(dict[str, Any]):
    def __init__(self, data_text: str) -> None:
        super().__init__()
        self.data_text = data_text


class AudienceGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = LiveHandler  # type: ignore[assignment]

    def __init__(self, services: Services, audience: Audience) -> None:
        settings = services.settings
        schema = build_schema(
            audience,
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_aliases,
            max_tokens=settings.max_tokens,
            introspection=settings.introspection,
            limits=Limits(
                max_document_bytes=settings.max_document_bytes,
                max_cost=settings.max_query_cost,
                max_nesting=3 * settings.max_query_depth,
                max_variables_bytes=settings.max_variables_bytes,
                field_merge_budget=settings.field_merge_budget,
            ),
        )
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.introspection else None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=settings.websocket_init_timeout_seconds),
            max_subscriptions_per_connection=settings.subscriptions_per_connection,
        )
        self.services = services
        self.audience = audience
        self.json_limits = JsonLimits(
            max_depth=settings.max_json_depth,
            max_values=settings.max_json_values,
            scan_over_bytes=settings.small_request_bytes,
        )
        self.trusted = TrustedOperations(schema, audience)
        self.trusted_only = settings.trusted_only(audience.value)

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL from the files shipped in this package, never from a CDN."""
        return HTMLResponse(graphiql_page())

    def should_render_graphql_ide(self, request: Any) -> bool:
        """A GET that names a trusted document is a query, not a browser opening GraphiQL."""
        params = request.query_params
        if "documentId" in params or "extensions" in params:
            return False
        return super().should_render_graphql_ide(request)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """A request naming a trusted document becomes that document (see
        ``schema.trusted_operations``); any other goes to Strawberry's own parsing."""
        content_type, _ = parse_content_type(request.content_type or "")
        data: Any = None
        if request.method == "GET":
            data = self.parse_query_params(request.query_params)
        elif "application/json" in content_type:
            body = await request.get_body()
            # Only a body that can name a document is parsed here; any other is parsed once,
            # by Strawberry (an ad hoc query is not read twice).
            if _NAMES_A_DOCUMENT.search(body if isinstance(body, bytes) else body.encode()):
                data = self.parse_json(body)
        if isinstance(data, dict):
            trusted = self.trusted.resolve(data, "http")
            if trusted is not None:
                return trusted
        return await super().parse_http_body(request)

    async def execute_operation(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: Any,
        sub_response: Any,
    ) -> Any:
        if isinstance(request_data, TrustedRequestData):
            if request_data.operation is not None:
                # A name from a committed file: a bounded label for metrics, never a client's.
                request.state.relaylog_operation = request_data.operation.document.name
            if request_data.error is not None:
                return ExecutionResult(data=None, errors=[request_data.error])
            operation = request_data.operation
            assert operation is not None
            if operation.compiled:
                result = await self._compiled(operation, context, request_data.variables)
                if result is not None:
                    return result
        elif self.trusted_only:
            return ExecutionResult(
                data=None,
                errors=[
                    request_error(
                        REQUIRED, "This endpoint answers trusted documents only (documentId)."
                    )
                ],
            )
        return await super().execute_operation(
            request=request,
            request_adapter=request_adapter,
            request_data=request_data,
            context=context,
            root_value=root_value,
            sub_response=sub_response,
        )

    async def _compiled(
        self, operation: CompiledOperation, context: Context, variables: dict[str, Any] | None
    ) -> ExecutionResult | None:
        """One statement and the audit append, in one transaction; ``None``: the executor
        answers (the compiled path does not know this request's shape)."""
        try:
            data_text = await operation.answer(context, variables)
        except Exception as exc:
            log.error(
                "compiled read failed",
                extra={"request_id": context.request_id, "error": type(exc).__name__},
            )
            await finish_request(context, failed=True)
            return ExecutionResult(data=None, errors=[_failed(exc)])
        if data_text is None:
            return None
        failure = await finish_request(context, failed=False)
        if failure is not None:
            return ExecutionResult(data=None, errors=[_failed(failure)])
        return _CompiledResult(data_text)

    async def process_result(self, request: Request, result: Any) -> GraphQLHTTPResponse:
        errors = getattr(result, "errors", None) or []
        if any(e.extensions.get("code") == SERVICE_UNAVAILABLE for e in errors):
            request.state.relaylog_unavailable = True
        if isinstance(result, _CompiledResult):
            request.state.relaylog_outcome = "ok"
            return _RawResponse(result.data_text)  # type: ignore[return-value]
        localize_client_errors(errors, request_language(request))
        processed = await super().process_result(request, result)
        request_error = is_request_error(result) and not any(e.message == _INTERNAL for e in errors)
        request.state.relaylog_outcome = (
            "request_error" if request_error else "graphql_error" if errors else "ok"
        )
        wants_status = getattr(request.state, "relaylog_media_type", JSON) == GRAPHQL_RESPONSE_JSON
        if request_error and wants_status:
            # Nothing was executed: a 4xx with no ``data`` entry (GraphQL over HTTP).
            request.state.relaylog_request_error = True
            processed.pop("data", None)
        return processed

    def encode_json(self, data: object) -> str:
        if isinstance(data, _RawResponse):
            return '{"data":' + data.data_text + "}"
        return super().encode_json(data)  # type: ignore[return-value]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope.setdefault("state", {})
        try:
            if scope["type"] == "http":
                await self._answer_http(scope, receive, send)
            else:
                await super().__call__(scope, receive, send)
        finally:
            session: AsyncSession | None = state.pop("relaylog_session", None)
            if session is not None:
                await session.close()

    async def _answer_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """strawberry's HTTP handling, with its refusals (bad JSON, unsupported content type,
        unknown operation name, a mutation over GET) as GraphQL error bodies, not plain text,
        in the media type the client asked for (``relaylog.negotiation``)."""
        request = Request(scope=scope, receive=receive)
        media_type = response_media_type(request.headers.get("accept"))
        request.state.relaylog_media_type = media_type
        request.state.relaylog_operation = "ad_hoc"
        try:
            response = await self.run(request)
        except HTTPException as exc:
            request.state.relaylog_outcome = "request_error"
            response = graphql_error_response(exc.status_code, exc.reason)
        except WrongEndpoint as exc:
            request.state.relaylog_outcome = "wrong_endpoint"
            response = exc.response(request_language(request))
        except Exception as exc:
            # Before the executor runs (finding the viewer) nothing turns it into an error.
            if not database_unavailable(exc):
                raise
            log.error("database unavailable", extra={"error": type(exc).__name__})
            response = unavailable_response()
        if getattr(request.state, "relaylog_unavailable", False):
            request.state.relaylog_outcome = "unavailable"
            response = unavailable_response()
        elif getattr(request.state, "relaylog_request_error", False):
            response.status_code = 400
        if response.media_type == JSON or response.headers.get("content-type") == JSON:
            response.headers["content-type"] = media_type
        await response(scope, receive, send)

    def parse_json(self, data: str | bytes) -> Any:
        """Bodies and ``variables``/``extensions`` parameters: UTF-8, JSON, an object, nested and
        sized within limits (``relaylog.http_limits``), or a 400 saying which."""
        return parse_request_json(data, self.json_limits)

    async def get_context(self, request: Request, response: Any) -> Context:  # type: ignore[override]
        if request.scope["type"] == "websocket":
            return self._live_context(request)
        as_of = None
        replica = self.services.replica
        if self.audience is Audience.REPORTING and replica is not None:
            session, as_of = await replica.open(self.services.session_factory)
        else:
            session = self.services.session_factory()
        request.state.relaylog_session = session
        today = self.services.today()
        viewer = None
        user = request.scope.get("user")
        if isinstance(user, TokenUser):
            viewer = await resolve_viewer(session, user.token, self.audience, today)
            if viewer is None and request.scope["type"] == "http":
                # (a websocket would need a close code; it is told nothing for now)
                home = await home_audience(session, user.token, self.audience, today)
                if home is not None:
                    raise WrongEndpoint(home)
        return Context(
            session=session,
            viewer=viewer,
            loaders=Loaders(session, viewer, today),
            today=today,
            request_id=request_id_of(request.scope),
            client_address=request.client.host if request.client else None,
            page_size_max=self.services.settings.page_size_max,
            as_of=as_of,
            language=request_language(request),
        )

    def _live_context(self, connection: HTTPConnection) -> LiveContext:
        """A websocket's context: no session and no viewer until ``connection_init`` names
        the person (``on_ws_connect``); each delivery then opens its own session."""
        services = self.services
        assert services.hub is not None
        session = services.session_factory()  # never used: each delivery opens its own
        connection.state.relaylog_session = session
        today = services.today()
        return LiveContext(
            session=session,
            viewer=None,
            loaders=Loaders(session, None, today),
            today=today,
            request_id=uuid.uuid4().hex,
            client_address=connection.client.host if connection.client else None,
            page_size_max=services.settings.page_size_max,
            feed=services.hub,
            open_session=services.session_factory,
            state={"hub": services.hub},
        )

    async def on_ws_connect(self, context: Context) -> Any:
        """The token of ``connection_init``: verified as on HTTP, then the person found on
        this endpoint; anything less is the protocol's 4403 (no reason given)."""
        assert isinstance(context, LiveContext)
        params = context.connection_params or {}
        header = params.get("Authorization", params.get("authorization"))
        scheme, _, raw = header.partition(" ") if isinstance(header, str) else ("", "", "")
        if scheme.lower() != "bearer" or not raw.strip():
            log.info("websocket rejected", extra={"reason": "MISSING"})
            raise ConnectionRejectionError()
        backend = BearerBackend(self.services.verifier, self.services.key_refresh)
        try:
            token = await backend._verify(raw.strip())
        except TokenError as exc:
            log.info("websocket rejected", extra={"reason": exc.code})
            raise ConnectionRejectionError() from None
        audience, today = self.audience, self.services.today

        async def find_viewer(session: AsyncSession) -> Viewer | None:
            # Asked again at every delivery, on that day: the youth's age may cross the
            # consent age on a connection open over midnight.
            return await resolve_viewer(session, token, audience, today())

        async with self.services.session_factory() as session:
            viewer = await find_viewer(session)
        if viewer is None:
            log.info("websocket rejected", extra={"reason": "NOT_ADMITTED"})
            raise ConnectionRejectionError()
        context.viewer = viewer
        context.find_viewer = find_viewer
        context.viewer_key = f"{viewer.kind.value}:{viewer.person_id}"
        context.state["expires_at"] = token.expires_at
        return UNSET


def request_language(connection: HTTPConnection) -> Language:
    """The reader's language for messages: ``Accept-Language``, else English (the ids)."""
    return negotiate(connection.headers.get("accept-language")) or Language.EN


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


def readyz_endpoint(services: Services) -> Callable[[Request], Any]:
    async def readyz(request: Request) -> Response:
        try:
            revision = await current_revision(services.engine)
        except Exception:
            return JSONResponse({"ready": False, "reason": "database unreachable"}, 503)
        if revision != head_revision():
            return JSONResponse({"ready": False, "reason": "migrations not applied"}, 503)
        return JSONResponse({"ready": True})

    return readyz


GRAPHIQL_DIR = Path(__file__).parent / "static" / "graphiql"
GRAPHIQL_ASSETS = "/graphiql/assets"


@lru_cache(maxsize=1)
def graphiql_page() -> str:
    return (
        (GRAPHIQL_DIR / "index.html")
        .read_text(encoding="utf-8")
        .replace("{{ASSETS}}", GRAPHIQL_ASSETS)
    )


def cors_middleware(settings: Settings) -> list[Middleware]:
    """Browsers on the allowed origins may call the API (``RELAYLOG_CORS_ALLOW_ORIGINS``).
    Bearer tokens, not cookies: no credentials mode, so no origin can ride on a session."""
    origins = settings.cors_origins()
    if not origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type", "accept", "x-request-id"],
            expose_headers=["x-request-id", "retry-after", "www-authenticate"],
            allow_credentials=False,
            max_age=settings.cors_max_age_seconds,
        )
    ]


def build_app(services: Services) -> Starlette:
    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/readyz", readyz_endpoint(services)),
    ]
    if services.settings.metrics_enabled:
        routes.append(Route("/metrics", metrics_endpoint(METRICS)))
        METRICS.watch_engine(services.engine)
        watch_queues(METRICS, services.engine)
    if services.settings.introspection:
        routes.append(Mount(GRAPHIQL_ASSETS, StaticFiles(directory=GRAPHIQL_DIR)))
    if services.hub is None:
        services.hub = EventHub(services.settings, services.engine, services.session_factory)
    for audience, path in ENDPOINTS.items():
        view = AudienceGraphQL(services, audience)
        routes.append(Route(path, view, methods=["GET", "POST"]))
        if audience is not Audience.REPORTING:  # reporting has no subscriptions
            routes.append(WebSocketRoute(path, view))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if services.hub is not None:
            await services.hub.stop()
        await services.engine.dispose()
        if services.replica is not None:
            await services.replica.engine.dispose()

    return Starlette(
        routes=routes,
        middleware=[
            Middleware(
                AccessLog,
                paths=[route.path for route in routes if isinstance(route, Route)],
                prefixes=[route.path for route in routes if isinstance(route, Mount)],
                metrics=METRICS,
            ),
            *cors_middleware(services.settings),
            Middleware(
                AuthenticationMiddleware,
                backend=BearerBackend(services.verifier, services.key_refresh),
                on_error=_unauthorized,
            ),
            # Inside authentication: only a signed-in person may send a large body, and only
            # to the endpoint that takes files.
            Middleware(
                BodySizeLimit,
                max_bytes=services.settings.max_request_bytes,
                limit_for=endpoint_body_limit(
                    frozenset({ENDPOINTS[Audience.STAFF]}),
                    large=services.settings.max_request_bytes,
                    small=services.settings.small_request_bytes,
                ),
            ),
        ],
        lifespan=lifespan,
    )
