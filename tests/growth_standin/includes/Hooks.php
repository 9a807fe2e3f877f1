<?php

namespace GrowthStandin;

use MediaWiki\Api\Hook\ApiMaxLagInfoHook;
use MediaWiki\Auth\Hook\LocalUserCreatedHook;
use MediaWiki\Block\Block;
use MediaWiki\ChangeTags\Hook\ChangeTagsListActiveHook;
use MediaWiki\ChangeTags\Hook\ListDefinedTagsHook;
use MediaWiki\Config\Config;
use MediaWiki\Content\Hook\JsonValidateSaveHook;
use MediaWiki\Content\JsonContent;
use MediaWiki\Page\PageIdentity;
use MediaWiki\Preferences\Hook\GetPreferencesHook;
use MediaWiki\Hook\BlockIpCompleteHook;
use StatusValue;

/**
 * Hook handlers of the stand-in (everything except the schema and parser hooks).
 */
class Hooks implements
	LocalUserCreatedHook,
	BlockIpCompleteHook,
	ApiMaxLagInfoHook,
	JsonValidateSaveHook,
	ListDefinedTagsHook,
	ChangeTagsListActiveHook,
	GetPreferencesHook
{

	public function __construct( private Config $config ) {
	}

	/**
	 * Assign a primary (and, when a second mentor is available, a backup) mentor to accounts
	 * created locally. Autocreated accounts and temporary accounts (~2...) get none.
	 *
	 * @inheritDoc
	 */
	public function onLocalUserCreated( $user, $autocreated ) {
		if ( $autocreated || $user->isTemp() || str_starts_with( $user->getName(), '~2' ) ) {
			return;
		}
		if ( Mentorship::isIneligible( $user ) ) {
			return;
		}
		$primary = Mentorship::drawMentor( [ $user->getId() ] );
		if ( !$primary ) {
			return;
		}
		MentorStore::setMentor( $user, $primary, MentorStore::ROLE_PRIMARY );
		$backup = Mentorship::drawMentor( [ $user->getId(), $primary->getId() ] );
		if ( $backup ) {
			MentorStore::setMentor( $user, $backup, MentorStore::ROLE_BACKUP );
		}
	}

	/**
	 * An indefinite block of a registered user (sitewide or partial) who has a primary mentor
	 * drops both mentee rows (a backup row alone stays). Nothing is logged. Temporary blocks
	 * keep the rows.
	 *
	 * @inheritDoc
	 */
	public function onBlockIpComplete( $block, $user, $priorBlock ) {
		if ( $block->getType() !== Block::TYPE_USER || !wfIsInfinity( $block->getExpiry() ) ) {
			return;
		}
		$target = $block->getTargetUserIdentity();
		if ( $target && $target->isRegistered()
			&& MentorStore::getMentorId( $target, MentorStore::ROLE_PRIMARY ) !== null
		) {
			MentorStore::dropMentee( $target );
		}
	}

	/**
	 * Fake replication lag: while $wgGrowthStandinFakeLagFile names an existing file, its
	 * contents (seconds, float) are reported as the lag.
	 *
	 * @inheritDoc
	 */
	public function onApiMaxLagInfo( &$lagInfo ): void {
		$file = $this->config->get( 'GrowthStandinFakeLagFile' );
		if ( !is_string( $file ) || $file === '' || !is_file( $file ) ) {
			return;
		}
		$lag = (float)trim( (string)file_get_contents( $file ) );
		if ( $lag > ( $lagInfo['lag'] ?? 0 ) ) {
			$lagInfo = [ 'host' => 'growthstandin-fake-lag', 'lag' => $lag, 'type' => 'db' ];
		}
	}

	/**
	 * Validation on every save (direct edits too): strict for MediaWiki:GrowthMentors.json,
	 * a type check for MediaWiki:GrowthExperimentsMentorship.json.
	 *
	 * @inheritDoc
	 */
	public function onJsonValidateSave( JsonContent $content, PageIdentity $pageIdentity, StatusValue $status ) {
		$isMentorList = MentorList::isMentorListPage( $pageIdentity );
		if ( !$isMentorList && !MentorshipConfig::isConfigPage( $pageIdentity ) ) {
			return;
		}
		$data = $content->getData();
		if ( !$data->isOK() ) {
			return;
		}
		$status->merge( $isMentorList
			? MentorList::validate( $data->getValue() )
			: MentorshipConfig::validate( $data->getValue() ) );
	}

	/** @inheritDoc */
	public function onListDefinedTags( &$tags ) {
		array_push( $tags, MentorList::CHANGE_TAG, ...array_values( ApiPostQuestion::SOURCE_TAGS ) );
	}

	/** @inheritDoc */
	public function onChangeTagsListActive( &$tags ) {
		array_push( $tags, MentorList::CHANGE_TAG, ...array_values( ApiPostQuestion::SOURCE_TAGS ) );
	}

	/**
	 * Register the two options as API-only preferences, so action=options can set them.
	 *
	 * @inheritDoc
	 */
	public function onGetPreferences( $user, &$preferences ) {
		$preferences[Mentorship::STATE_PREF] = [ 'type' => 'api' ];
		$preferences[Mentorship::AWAY_PREF] = [ 'type' => 'api' ];
	}
}
