"""Starting the periodic tasks the apps register (each queues its own next run)."""

from tandem.core import registry


def start_all() -> list[str]:
    """Queue each registered sweep unless one is queued already; returns those queued."""
    from django_tasks_db.models import DBTaskResult

    started = []
    for sweep in registry.sweeps():
        name = f"{sweep.func.__module__}.{sweep.func.__qualname__}"
        if not DBTaskResult.objects.filter(task_path=name, status="READY").exists():
            sweep.enqueue()
            started.append(name)
    return started
