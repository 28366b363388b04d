from django.urls import path

from cxloop.web import survey_views, views

org_patterns = [
    path("", views.dashboard, name="dashboard"),
    path("surveys/", survey_views.survey_list, name="surveys"),
    path("surveys/new/", survey_views.survey_new, name="survey_new"),
    path("surveys/<int:survey_id>/", survey_views.survey_detail, name="survey_detail"),
    path("surveys/<int:survey_id>/qr.<str:kind>", survey_views.survey_qr, name="survey_qr"),
    path("surveys/<int:survey_id>/publish/", survey_views.survey_publish, name="survey_publish"),
    path("surveys/<int:survey_id>/close/", survey_views.survey_close, name="survey_close"),
    path("surveys/<int:survey_id>/import/", survey_views.survey_import, name="survey_import"),
    path("surveys/<int:survey_id>/definition/", survey_views.survey_definition, name="survey_definition"),
    path("surveys/<int:survey_id>/definition.<str:fmt>", survey_views.survey_export, name="survey_export"),
    path("journeys/", views.journeys, name="journeys"),
    path("cases/", views.cases, name="cases"),
    path("governance/", views.governance, name="governance"),
    path("settings/", views.settings_org, name="settings_org"),
    path("settings/teams/", views.settings_teams, name="settings_teams"),
    path("settings/teams/<int:team_id>/", views.settings_team, name="settings_team"),
    path("settings/teams/<int:team_id>/delete/", views.settings_team_delete, name="settings_team_delete"),
    path("settings/members/", views.settings_members, name="settings_members"),
    path("settings/members/<int:membership_id>/role/", views.settings_member_role, name="settings_member_role"),
    path("settings/members/<int:membership_id>/remove/", views.settings_member_remove,
         name="settings_member_remove"),
    path("settings/invitations/", views.settings_invitations, name="settings_invitations"),
    path("settings/invitations/<int:invitation_id>/revoke/", views.settings_invitation_revoke,
         name="settings_invitation_revoke"),
    path("settings/api-keys/", views.settings_api_keys, name="settings_api_keys"),
    path("settings/api-keys/<int:key_id>/revoke/", views.settings_api_key_revoke,
         name="settings_api_key_revoke"),
    path("settings/audit/", views.settings_audit, name="settings_audit"),
]
