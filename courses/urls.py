from django.urls import include, path

from courses.views import grades, home, import_data, import_ddl, instructor, learner, trace

app_name = "courses"

urlpatterns = [
    path("", home.home, name="home"),
    # LTI endpoints (/lti/...).
    path("", include("courses.lti_urls")),
    # Learner pages: only ever the requester's own dataset.
    path("a/<uuid:assignment_uuid>/", learner.learner_assignment, name="learner_assignment"),
    path(
        "a/<uuid:assignment_uuid>/download/<str:fmt>/",
        learner.learner_download,
        name="learner_download",
    ),
    path(
        "a/<uuid:assignment_uuid>/jobs/<int:job_id>/",
        learner.learner_job_status,
        name="learner_job_status",
    ),
    path("a/<uuid:assignment_uuid>/submit/", learner.learner_submit, name="learner_submit"),
    path("a/<uuid:assignment_uuid>/query/", learner.learner_query, name="learner_query"),
    path(
        "a/<uuid:assignment_uuid>/grading/<int:job_id>/",
        learner.learner_grading_status,
        name="learner_grading_status",
    ),
    # Instructor pages.
    path(
        "a/<uuid:assignment_uuid>/manage/",
        instructor.instructor_assignment,
        name="instructor_assignment",
    ),
    path(
        "a/<uuid:assignment_uuid>/manage/settings/",
        instructor.instructor_settings,
        name="instructor_settings",
    ),
    path(
        "a/<uuid:assignment_uuid>/manage/spec/",
        instructor.instructor_spec_save,
        name="instructor_spec_save",
    ),
    path(
        "a/<uuid:assignment_uuid>/manage/spec/draft/",
        instructor.instructor_spec_draft,
        name="instructor_spec_draft",
    ),
    path(
        "a/<uuid:assignment_uuid>/manage/spec/example/",
        instructor.instructor_spec_example,
        name="instructor_spec_example",
    ),
    path(
        "a/<uuid:assignment_uuid>/manage/spec/<int:number>/check/",
        instructor.instructor_spec_check,
        name="instructor_spec_check",
    ),
    path(
        "a/<uuid:assignment_uuid>/manage/spec/<int:number>/approve/",
        instructor.instructor_spec_approve,
        name="instructor_spec_approve",
    ),
    path(
        "a/<uuid:assignment_uuid>/manage/preview/<int:number>/",
        instructor.instructor_preview,
        name="instructor_preview",
    ),
    path(
        "a/<uuid:assignment_uuid>/manage/jobs/<int:job_id>/",
        instructor.instructor_job_status,
        name="instructor_job_status",
    ),
    path(
        "a/<uuid:assignment_uuid>/manage/prepare/",
        instructor.instructor_prepare,
        name="instructor_prepare",
    ),
    path(
        "a/<uuid:assignment_uuid>/manage/prepare/status/",
        instructor.instructor_prepare_status,
        name="instructor_prepare_status",
    ),
    path(
        "a/<uuid:assignment_uuid>/manage/learners/<int:learner_id>/download/<str:fmt>/",
        instructor.instructor_learner_download,
        name="instructor_learner_download",
    ),
    path(
        "a/<uuid:assignment_uuid>/manage/learners/<int:learner_id>/reissue/",
        instructor.instructor_reissue,
        name="instructor_reissue",
    ),
    path(
        "a/<uuid:assignment_uuid>/manage/questions/",
        instructor.instructor_questions_save,
        name="instructor_questions_save",
    ),
    path(
        "a/<uuid:assignment_uuid>/manage/learners/<int:learner_id>/",
        grades.instructor_learner_detail,
        name="instructor_learner_detail",
    ),
    path(
        "a/<uuid:assignment_uuid>/manage/learners/<int:learner_id>/resync/",
        grades.instructor_resync,
        name="instructor_resync",
    ),
    path(
        "a/<uuid:assignment_uuid>/manage/grades/resync/",
        grades.instructor_resync_all,
        name="instructor_resync_all",
    ),
    path(
        "a/<uuid:assignment_uuid>/manage/grades/regrade/",
        grades.instructor_regrade,
        name="instructor_regrade",
    ),
    path(
        "a/<uuid:assignment_uuid>/manage/grades.csv",
        grades.instructor_grades_csv,
        name="instructor_grades_csv",
    ),
    path(
        "a/<uuid:assignment_uuid>/manage/import/ddl/",
        import_ddl.instructor_import_ddl,
        name="instructor_import_ddl",
    ),
    path(
        "a/<uuid:assignment_uuid>/manage/import/data/",
        import_data.instructor_import_data,
        name="instructor_import_data",
    ),
    path(
        "a/<uuid:assignment_uuid>/manage/import/data/<int:upload_id>/fit/",
        import_data.instructor_import_data_confirm,
        name="instructor_import_data_confirm",
    ),
    path(
        "a/<uuid:assignment_uuid>/manage/import/data/<int:upload_id>/status/",
        import_data.instructor_import_data_status,
        name="instructor_import_data_status",
    ),
    path(
        "a/<uuid:assignment_uuid>/manage/trace/",
        trace.instructor_trace,
        name="instructor_trace",
    ),
]
