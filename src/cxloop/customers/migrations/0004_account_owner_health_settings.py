# Account owner (CSM), the economic buyer and champion stakeholder roles, account-health settings.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0003_contact_last_invited_at_contact_unsubscribed_at_and_more'),
        ('orgs', '0002_organization_brand_color_and_more'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='account',
            name='owner',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='owned_accounts', to=settings.AUTH_USER_MODEL, verbose_name='owner CSM'),
        ),
        migrations.AlterField(
            model_name='contact',
            name='stakeholder_role',
            field=models.CharField(choices=[('decision_maker', 'Decision maker'), ('economic_buyer', 'Economic buyer'), ('champion', 'Champion'), ('influencer', 'Influencer'), ('user', 'User')], default='user', max_length=20, verbose_name='stakeholder role'),
        ),
        migrations.CreateModel(
            name='AccountHealthSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('weights', models.JSONField(blank=True, default=dict)),
                ('key_roles', models.JSONField(blank=True, default=list)),
                ('threshold', models.FloatField(default=40.0, verbose_name='low health below')),
                ('drop_points', models.FloatField(default=10.0, verbose_name='falling by at least (points)')),
                ('coverage_weight', models.FloatField(default=0.3, verbose_name='weight of coverage in health')),
                ('silent_is_risk', models.BooleanField(default=False, verbose_name='silent accounts renewing soon are at risk')),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('org', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='account_health_settings', to='orgs.organization')),
                ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
    ]
