from clipforge.domain.status import (
    Stage,
    StageState,
    VideoStatus,
    overall_progress,
    stage_job_id,
    stage_states,
)


def test_overall_progress_is_monotonic_across_stages():
    points = [
        overall_progress(stage, fraction)
        for stage in (Stage.IMPORT, Stage.TRANSCRIBE, Stage.DETECT)
        for fraction in (0.0, 0.5, 1.0)
    ]
    assert points == sorted(points)
    assert points[0] == 0 and points[-1] == 100


def test_overall_progress_clamps_out_of_range_fractions():
    assert overall_progress(Stage.IMPORT, -3) == 0
    assert overall_progress(Stage.DETECT, 7) == 100


def test_stage_states_while_transcribing():
    states = stage_states(VideoStatus.TRANSCRIBING, Stage.TRANSCRIBE, 40, None)
    assert states == [
        (Stage.IMPORT, StageState.DONE, 100),
        (Stage.TRANSCRIBE, StageState.RUNNING, 40),
        (Stage.DETECT, StageState.PENDING, 0),
    ]


def test_stage_states_of_a_failed_video_point_at_the_failed_stage():
    states = stage_states(VideoStatus.FAILED, Stage.TRANSCRIBE, 10, Stage.TRANSCRIBE)
    assert [s for _, s, _ in states] == [StageState.DONE, StageState.FAILED, StageState.PENDING]


def test_stage_states_of_a_queued_and_a_ready_video():
    assert stage_states(VideoStatus.QUEUED, None, 0, None)[0][1] == StageState.QUEUED
    assert all(s == StageState.DONE for _, s, _ in stage_states(VideoStatus.READY, None, 0, None))


def test_stage_job_ids_are_deterministic_and_bullmq_safe():
    job_id = stage_job_id("abc123", Stage.TRANSCRIBE)
    assert job_id == stage_job_id("abc123", Stage.TRANSCRIBE) == "abc123-transcribe"
    assert ":" not in job_id and not job_id.isdigit()
