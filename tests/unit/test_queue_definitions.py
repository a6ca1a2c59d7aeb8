import pytest

from clipforge.config import Settings
from clipforge.queues.definitions import (
    ALL_QUEUES,
    QueueName,
    job_options,
    parse_queue_name,
    queue_spec,
)


def test_the_phase_one_queue_table():
    settings = Settings()
    table = {
        q.value: (queue_spec(q, settings).priority, queue_spec(q, settings).concurrency)
        for q in ALL_QUEUES
    }
    assert table == {
        "video-import": (1, 3),
        "transcription": (2, 2),
        "clip-detection": (3, 5),
        "video-export": (4, 2),
    }


def test_queue_settings_are_configurable():
    settings = Settings(queue_export_concurrency=6, queue_export_priority=9)
    spec = queue_spec(QueueName.EXPORT, settings)
    assert (spec.priority, spec.concurrency) == (9, 6)


def test_job_options_retry_three_times_with_exponential_backoff_and_retention():
    spec = queue_spec(QueueName.IMPORT, Settings())
    opts = job_options(spec, "v1-import")
    assert opts["jobId"] == "v1-import"
    assert opts["attempts"] == 3
    assert opts["backoff"]["type"] == "exponential"
    assert opts["removeOnComplete"]["count"] > 0
    assert opts["removeOnFail"]["age"] > 0


@pytest.mark.parametrize("bad", ["a:b", "123"])
def test_job_ids_bullmq_cannot_store_are_refused(bad):
    with pytest.raises(ValueError):
        job_options(queue_spec(QueueName.IMPORT, Settings()), bad)


def test_unknown_queue_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="video-import, transcription"):
        parse_queue_name("exports")
