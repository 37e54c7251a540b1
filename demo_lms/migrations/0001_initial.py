# The demo LMS's tables (they replace courses' Demo* tables, dropped by courses 0007).

import django.db.models.deletion
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
    ]

    operations = [
        migrations.CreateModel(
            name='LineItem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('label', models.CharField(max_length=255)),
                ('score_maximum', models.FloatField(default=100.0)),
                ('resource_id', models.CharField(blank=True, max_length=255)),
                ('resource_link_id', models.CharField(blank=True, max_length=255)),
                ('tag', models.CharField(blank=True, max_length=255)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
        ),
        migrations.CreateModel(
            name='PlatformKey',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('private_key', models.TextField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
        ),
        migrations.CreateModel(
            name='Placement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=255)),
                ('custom', models.JSONField(blank=True, default=dict)),
                ('link_key', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('lineitem', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='placements', to='demo_lms.lineitem')),
            ],
            options={
                'ordering': ['created_at', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='Score',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('user_id', models.CharField(max_length=255)),
                ('score_given', models.FloatField(blank=True, null=True)),
                ('score_maximum', models.FloatField(blank=True, null=True)),
                ('comment', models.TextField(blank=True)),
                ('activity_progress', models.CharField(blank=True, max_length=32)),
                ('grading_progress', models.CharField(blank=True, max_length=32)),
                ('timestamp', models.DateTimeField()),
                ('received_at', models.DateTimeField(auto_now=True)),
                ('lineitem', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='scores', to='demo_lms.lineitem')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('lineitem', 'user_id'), name='demo_lms_score_one_per_user')],
            },
        ),
    ]
