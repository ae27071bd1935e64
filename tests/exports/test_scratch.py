from datetime import UTC, datetime
import io, time, cProfile, pstats
from exports.log_view import Reader, load_log_view
from exports.pdf import render_log_pdf, render_html, html_to_pdf, FetchGuard
from exports.labels import Language
from tests.factories import TODAY

async def test_scratch(session, world):
    log = await world.full_log(2)
    view = await load_log_view(session, log.id, Reader.archive(world.holder.id), today=TODAY, printed_at=datetime.now(UTC))
    for _ in range(3):
        render_log_pdf(view)
    for _ in range(3):
        t = time.perf_counter(); html = render_html(view, Language.NB); t1 = time.perf_counter(); raw = html_to_pdf(html, FetchGuard()); t2 = time.perf_counter()
        print("html ms", (t1-t)*1000, "pisa ms", (t2-t1)*1000)
    cProfile.runctx("html_to_pdf(html, FetchGuard())", globals(), locals(), "/tmp/prof")
    pstats.Stats("/tmp/prof").sort_stats("cumtime").print_stats(45)
